import Foundation
import Hummingbird
import Postgres

/// `/{community}/petitions`: browse, write, read, sign, and the signers' list.
struct PetitionRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/petitions") { request, context in
            let community = try await services.community(context)
            let query = request.uri.queryParameters
            let list = query["list"].flatMap { PetitionList(rawValue: String($0)) } ?? .collecting
            let sort = query["sort"].flatMap { PetitionSort(rawValue: String($0)) } ?? .signatures
            let search = query["q"].map(String.init) ?? ""
            let page = PageNumber.from(query["page"])
            let (petitions, total) = try await services.petitions.list(list, sort: sort, search: search, communityID: community.id, page: page)
            let t = services.catalogue
            let language = context.language
            let view = PetitionView(catalogue: t, language: language, slug: community.slug)
            func link(page: Int) -> String {
                "/\(community.slug)/petitions?list=\(list.rawValue)&sort=\(sort.rawValue)&q=\(search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&page=\(page)"
            }
            var page_ = Page(
                "petitions", titleKey: "petition.list_title", community: community,
                values: [
                    "petitions": petitions.map(view.values),
                    "lists": PetitionList.allCases.map { ["href": "/\(community.slug)/petitions?list=\($0.rawValue)", "label": t.text($0.titleKey, language), "current": $0 == list] as [String: Any] },
                    "sorts": PetitionSort.allCases.map { ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": $0 == sort] as [String: Any] },
                    "list": list.rawValue, "q": search, "total": total, "can_write": context.viewer != nil,
                ])
            // Mustache shows a section for any present value, even "", so absent pages are left out.
            if page > 1 { page_.values["previous"] = link(page: page - 1) }
            if page * PetitionStore.pageSize < total { page_.values["next"] = link(page: page + 1) }
            return services.renderer.response(page_, request: request, context: context)
        }

        router.get("/{community}/petitions/new") { request, context in
            let community = try await services.community(context)
            _ = try context.requireViewer()
            return try await newPetitionPage(request, context, community: community)
        }

        router.post("/{community}/petitions") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let form = try await FormData.from(request)
            // First the similar open petitions are shown; "submit anyway" sends confirm=yes.
            if form["confirm"] != "yes" {
                let similar = try await services.petitions.similar(to: form["title"], communityID: community.id)
                if !similar.isEmpty {
                    return try await newPetitionPage(request, context, community: community, form: form, similar: similar)
                }
            }
            do {
                let petition = try await services.petitions.submit(
                    title: form["title"], body: form.raw("body"), category: form["category"], by: viewer, in: community,
                    verifications: services.verifications, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/petitions/\(petition.id)", flash: "petition.submitted")
            } catch let error as AppError where [.validation, .forbidden, .rateLimited].contains(error.kind) {
                return try await newPetitionPage(request, context, community: community, form: form, error: error)
            }
        }

        router.get("/{community}/petitions/{id}") { request, context in
            let community = try await services.community(context)
            let petition = try await visiblePetition(context, community: community)
            return try await petitionPage(request, context, community: community, petition: petition)
        }

        router.post("/{community}/petitions/{id}/sign") { request, context in
            let community = try await services.community(context)
            let petition = try await visiblePetition(context, community: community)
            do {
                guard let viewer = context.viewer else { throw SigningRefusal.notSignedIn }
                _ = try await services.petitions.sign(
                    petition.id, by: viewer, in: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/petitions/\(petition.id)", flash: "petition.signed")
            } catch let refusal as SigningRefusal {
                return try await petitionPage(request, context, community: community, petition: petition, error: refusal.appError)
            }
        }

        router.get("/{community}/petitions/{id}/count.json") { _, context in
            let community = try await services.community(context)
            let count = try await services.petitions.count(try petitionID(context), communityID: community.id)
            try requireVisible(status: count.status, authorID: count.authorID, context, community: community)
            return try JSONResponse.make(["signatures": count.signatures, "threshold": count.signatureThreshold])
        }
    }

    /// Petitions under moderation are visible to their author and moderators only.
    private func visiblePetition(_ context: AppRequestContext, community: Community) async throws -> Petition {
        let petition = try await services.petitions.find(try petitionID(context), communityID: community.id)
        try requireVisible(status: petition.status, authorID: petition.authorID, context, community: community)
        return petition
    }

    private func petitionID(_ context: AppRequestContext) throws -> Int {
        guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
        return id
    }

    private func requireVisible(status: PetitionStatus, authorID: Int, _ context: AppRequestContext, community: Community) throws {
        guard status == .moderation else { return }
        guard let viewer = context.viewer, viewer.person.id == authorID || viewer.can(.moderate, in: community.id) else {
            throw AppError.notFound
        }
    }

    private func petitionPage(
        _ request: Request, _ context: AppRequestContext, community: Community, petition: Petition, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        var values = PetitionView(catalogue: t, language: language, slug: community.slug).values(petition)
        let page = PageNumber.from(request.uri.queryParameters["page"])
        let (signers, total) = try await services.petitions.signers(of: petition.id, page: page)
        values["signers"] = signers.map { ["name": $0.name, "at": KyivTime.day(of: $0.signedAt).isoString] }
        if page > 1 { values["signers_previous"] = "/\(community.slug)/petitions/\(petition.id)?page=\(page - 1)#signers" }
        if page * PetitionStore.signersPerPage < total {
            values["signers_next"] = "/\(community.slug)/petitions/\(petition.id)?page=\(page + 1)#signers"
        }
        values["events"] = try await services.petitions.events(of: petition.id).map { event -> [String: Any] in
            var entry: [String: Any] = ["at": KyivTime.minute(of: event.at), "status": t.text(event.status.titleKey, language)]
            if !event.comment.isEmpty { entry["comment"] = event.comment }
            return entry
        }
        if let viewer = context.viewer {
            values["signed"] = try await services.petitions.hasSigned(petition.id, personID: viewer.person.id)
            values["can_moderate"] = viewer.can(.moderate, in: community.id)
        }
        if let document = try await services.workflow.find(sourceType: PetitionSource.type, sourceID: String(petition.id), communityID: community.id) {
            var documentValues = services.documentView(language).values(document, communitySlug: community.slug)
            documentValues["public"] = document.isPublic
            values["document"] = documentValues
        }
        let url = services.configuration.publicURL + "/\(community.slug)/petitions/\(petition.id)"
        values["og_url"] = url
        values["og_description"] = String(petition.body.prefix(200))
        values["count_url"] = "/\(community.slug)/petitions/\(petition.id)/count.json"
        if petition.status.isSettled { context.freshness.override = .settled }
        var page_ = Page("petition", titleKey: "petition.title", titleText: petition.title, community: community, values: values)
        page_.show(error, catalogue: t, language: language)
        return services.renderer.response(page_, request: request, context: context)
    }

    private func newPetitionPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, similar: [Petition] = [],
        error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let view = PetitionView(catalogue: t, language: context.language, slug: community.slug)
        var page = Page(
            "petition-new", titleKey: "petition.new_title", community: community,
            values: [
                "title": form?["title"] ?? "", "body": form?.raw("body") ?? "", "similar": similar.map(view.values), "has_similar": !similar.isEmpty,
                "threshold": community.settings.petitions.signatureThreshold, "days": community.settings.petitions.collectionDays,
                "categories": AppealTopic.allCases.map {
                    ["value": $0.rawValue, "label": t.text($0.titleKey, context.language), "selected": form?["category"] == $0.rawValue] as [String: Any]
                },
            ])
        page.show(error, catalogue: t, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }
}
