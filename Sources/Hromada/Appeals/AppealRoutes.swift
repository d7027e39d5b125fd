import Foundation
import Hummingbird

/// `/{community}/appeals`: write to the council and follow the answer.
struct AppealRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/appeals") { request, context in
            let community = try await services.community(context)
            return try await appealsPage(request, context, community: community)
        }
        router.post("/{community}/appeals") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let form = try await FormData.from(request)
            do {
                let (appeal, _) = try await services.appeals.submit(
                    topic: form["topic"], subject: form["subject"], body: form.raw("body"), address: form["address"],
                    by: viewer, in: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/appeals/\(appeal.id)", flash: "appeal.registered")
            } catch let error as AppError where error.kind == .validation || error.kind == .rateLimited {
                return try await appealsPage(request, context, community: community, form: form, error: error)
            }
        }
        router.get("/{community}/appeals/{id}") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
            let appeal = try await services.appeals.find(id, communityID: community.id)
            guard let document = try await services.workflow.find(sourceType: AppealSource.type, sourceID: String(id), communityID: community.id)
            else { throw AppError.notFound }
            try OfficeRoutes.requirePublicAccess(to: document, viewer: viewer, communityID: community.id)
            let view = services.documentView(context.language)
            var values = view.values(document, communitySlug: community.slug)
            values["events"] = try await services.workflow.events(of: document.id, includeInternal: false).map { view.values($0, showActors: false) }
            values["subject"] = appeal.subject
            values["body"] = appeal.body
            if let address = appeal.address { values["address"] = address }
            values["topic"] = services.catalogue.text(appeal.topic.titleKey, context.language)
            values["can_use_office"] = viewer.can(.useOffice, in: community.id)
            let page = Page("appeal", titleKey: "appeal.title", titleText: "\(document.reference): \(appeal.subject)", community: community, values: values)
            return services.renderer.response(page, request: request, context: context)
        }
    }

    private func appealsPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        var values: [String: Any] = [
            "topics": AppealTopic.allCases.map { ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": form?["topic"] == $0.rawValue] as [String: Any] },
            "subject": form?["subject"] ?? "", "body": form?.raw("body") ?? "", "address": form?["address"] ?? "",
            "signin_href": "/signin?next=%2F\(community.slug)%2Fappeals",
        ]
        if let viewer = context.viewer {
            let view = services.documentView(language)
            values["signed_in"] = true
            values["mine"] = try await services.workflow.documents(authoredBy: viewer.person.id, communityID: community.id)
                .filter { $0.sourceType == AppealSource.type }
                .map { document -> [String: Any] in
                    var entry = view.values(document, communitySlug: community.slug)
                    entry["href"] = services.workflow.sourcePath(document, communitySlug: community.slug)
                    return entry
                }
        }
        var page = Page("appeals", titleKey: "appeal.list_title", community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
