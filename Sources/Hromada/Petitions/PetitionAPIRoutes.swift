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

        let openData = OpenDataExport(services: services)
        router.get("/{community}/open-data/petitions.json") { request, context in
            let community = try await services.community(context)
            return try await openData.streamed(
                request, format: .jsonArray, version: PetitionStore.openDataVersion(communityID: community.id),
                rows: PetitionStore.publicPetitionsExport(communityID: community.id)
            ) { row in try OpenDataExport.json(json(try PetitionStore.petition(row), community)) }
        }
        router.get("/{community}/open-data/petitions.csv") { request, context in
            let community = try await services.community(context)
            let header = ["id", "title", "status", "signatures", "threshold", "created_at", "collection_starts_on", "collection_ends_on", "url"]
            return try await openData.streamed(
                request, format: .csv(header: header), filename: "\(community.slug)-petitions.csv",
                version: PetitionStore.openDataVersion(communityID: community.id),
                rows: PetitionStore.publicPetitionsExport(communityID: community.id)
            ) { row in
                let petition = try PetitionStore.petition(row)
                return OpenDataExport.csvLine([
                    String(petition.id), petition.title, petition.status.rawValue, String(petition.signatures),
                    String(petition.signatureThreshold), petition.createdAt.formatted(.iso8601),
                    petition.collectionStartsOn?.isoString ?? "", petition.collectionEndsOn?.isoString ?? "", json(petition, community).url,
                ])
            }
        }
        router.get("/{community}/open-data/signatures.json") { request, context in
            let community = try await services.community(context)
            return try await openData.streamed(
                request, format: .jsonArray, version: PetitionStore.openDataVersion(communityID: community.id),
                rows: PetitionStore.signersExport(communityID: community.id)
            ) { row in
                try OpenDataExport.json(SignerJSON(petitionId: try row.decode("petition_id"), name: try row.decode("name"), signedAt: try row.decode("signed_at")))
            }
        }
        router.get("/{community}/open-data/signatures.csv") { request, context in
            let community = try await services.community(context)
            return try await openData.streamed(
                request, format: .csv(header: ["petition_id", "name", "signed_at"]), filename: "\(community.slug)-signatures.csv",
                version: PetitionStore.openDataVersion(communityID: community.id),
                rows: PetitionStore.signersExport(communityID: community.id)
            ) { row in
                OpenDataExport.csvLine([
                    try row.decode("petition_id", as: String.self), try row.decode("name"), try row.decode("signed_at", as: Date.self).formatted(.iso8601),
                ])
            }
        }
    }

    private func publicPetition(_ context: AppRequestContext, _ community: Community) async throws -> Petition {
        guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
        let petition = try await services.petitions.find(id, communityID: community.id)
        guard petition.status != .moderation else { throw AppError.notFound }
        return petition
    }

    private func json(_ petition: Petition, _ community: Community) -> PetitionJSON {
        PetitionJSON(petition, url: services.configuration.publicURL + "/\(community.slug)/petitions/\(petition.id)")
    }
}
