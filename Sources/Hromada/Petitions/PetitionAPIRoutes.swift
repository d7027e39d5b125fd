import Foundation
import Hummingbird
import Postgres

/// The petitions' JSON API and their open data.
struct PetitionAPIRoutes {
    let services: AppServices

    struct PetitionJSON: Encodable {
        var id: Int
        var title: String
        var text: String
        var author: String
        var status: String
        var signatures: Int
        var threshold: Int
        var createdAt: Date
        var collectionStartsOn: CalendarDay?
        var collectionEndsOn: CalendarDay?
        var rejectionReason: String?
        var rejectionText: String?
        var url: String

        init(_ petition: Petition, url: String) {
            id = petition.id
            title = petition.title
            text = petition.body
            author = petition.authorName
            status = petition.status.rawValue
            signatures = petition.signatures
            threshold = petition.signatureThreshold
            createdAt = petition.createdAt
            collectionStartsOn = petition.collectionStartsOn
            collectionEndsOn = petition.collectionEndsOn
            rejectionReason = petition.rejection?.reason.rawValue
            rejectionText = petition.rejection?.text
            self.url = url
        }
    }

    struct SignerJSON: Encodable {
        var petitionId: Int
        var name: String
        var signedAt: Date
    }

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("/api/v1/{community}/petitions")
        api.get { request, context in
            let community = try await services.community(context)
            let query = request.uri.queryParameters
            let list = query["list"].flatMap { PetitionList(rawValue: String($0)) } ?? .collecting
            let sort = query["sort"].flatMap { PetitionSort(rawValue: String($0)) } ?? .signatures
            let page = PageNumber.from(query["page"])
            let (petitions, total) = try await services.petitions.list(
                list, sort: sort, search: query["q"].map(String.init) ?? "", communityID: community.id, page: page)
            struct Listing: Encodable {
                var total: Int
                var page: Int
                var petitions: [PetitionJSON]
            }
            return try JSONResponse.make(Listing(total: total, page: page, petitions: petitions.map { json($0, community) }))
        }
        api.get("/{id}") { _, context in
            let community = try await services.community(context)
            return try JSONResponse.make(json(try await publicPetition(context, community), community))
        }
        api.get("/{id}/signatures") { request, context in
            let community = try await services.community(context)
            let petition = try await publicPetition(context, community)
            let page = PageNumber.from(request.uri.queryParameters["page"])
            let (signers, total) = try await services.petitions.signers(of: petition.id, page: page)
            struct Signers: Encodable {
                var total: Int
                var page: Int
                var signatures: [SignerJSON]
            }
            return try JSONResponse.make(Signers(
                total: total, page: page, signatures: signers.map { SignerJSON(petitionId: petition.id, name: $0.name, signedAt: $0.signedAt) }))
        }
        // Signing is voting day's hot path: the signing statement itself finds the petition (an
        // unknown or unpublished one is 404), so no separate look-up precedes it.
        api.post("/{id}/signatures") { _, context in
            let community = try await services.community(context)
            guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
            do {
                guard let viewer = context.viewer else { throw SigningRefusal.notSignedIn }
                let count = try await services.petitions.sign(id, by: viewer, in: community, ip: context.clientIP)
                return try JSONResponse.make(["signatures": count], status: .created)
            } catch let refusal as SigningRefusal {
                throw refusal.appError
            }
        }

        router.get("/{community}/open-data/petitions.json") { _, context in
            let community = try await services.community(context)
            return try JSONResponse.make(try await allPublicPetitions(community).map { json($0, community) })
        }
        router.get("/{community}/open-data/petitions.csv") { _, context in
            let community = try await services.community(context)
            var csv = CSV(header: ["id", "title", "status", "signatures", "threshold", "created_at", "collection_starts_on", "collection_ends_on", "url"])
            for petition in try await allPublicPetitions(community) {
                let url = json(petition, community).url
                csv.append([String(petition.id), petition.title, petition.status.rawValue, String(petition.signatures),
                            String(petition.signatureThreshold), ISO8601DateFormatter().string(from: petition.createdAt),
                            petition.collectionStartsOn?.isoString ?? "", petition.collectionEndsOn?.isoString ?? "", url])
            }
            return csv.response(filename: "\(community.slug)-petitions.csv")
        }
        router.get("/{community}/open-data/signatures.json") { _, context in
            let community = try await services.community(context)
            return try JSONResponse.make(try await services.petitions.allSigners(communityID: community.id).map {
                SignerJSON(petitionId: $0.petitionID, name: $0.signer.name, signedAt: $0.signer.signedAt)
            })
        }
        router.get("/{community}/open-data/signatures.csv") { _, context in
            let community = try await services.community(context)
            var csv = CSV(header: ["petition_id", "name", "signed_at"])
            for entry in try await services.petitions.allSigners(communityID: community.id) {
                csv.append([String(entry.petitionID), entry.signer.name, ISO8601DateFormatter().string(from: entry.signer.signedAt)])
            }
            return csv.response(filename: "\(community.slug)-signatures.csv")
        }
    }

    private func publicPetition(_ context: AppRequestContext, _ community: Community) async throws -> Petition {
        guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
        let petition = try await services.petitions.find(id, communityID: community.id)
        guard petition.status != .moderation else { throw AppError.notFound }
        return petition
    }

    private func allPublicPetitions(_ community: Community) async throws -> [Petition] {
        var all: [Petition] = []
        for list in PetitionList.allCases {
            var page = 1
            while true {
                let (petitions, total) = try await services.petitions.list(list, sort: .newest, search: "", communityID: community.id, page: page)
                all += petitions
                if page * PetitionStore.pageSize >= total { break }
                page += 1
            }
        }
        return all.sorted { $0.id < $1.id }
    }

    private func json(_ petition: Petition, _ community: Community) -> PetitionJSON {
        PetitionJSON(petition, url: services.configuration.publicURL + "/\(community.slug)/petitions/\(petition.id)")
    }
}
