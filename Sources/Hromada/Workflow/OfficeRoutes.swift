import Foundation
import Hummingbird
import Postgres

/// `/{community}/office`: officials' queues and documents, and the public view of a document.
struct OfficeRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/office") { request, context in
            let (community, viewer) = try await services.authorize(context, .useOffice)
            let filter = Self.filter(request.uri.queryParameters)
            let documents = try await services.workflow.documents(in: filter, for: viewer, communityID: community.id)
            let counts = try await services.workflow.counts(for: viewer, communityID: community.id)
            let t = services.catalogue
            let language = context.language
            let view = services.documentView(language)
            let page = Page(
                "office", titleKey: "office.title", community: community,
                values: [
                    "queues": DocumentQueue.allCases.map { queue -> [String: Any] in
                        ["href": "/\(community.slug)/office?queue=\(queue.rawValue)", "label": t.text(queue.titleKey, language),
                         "count": counts[queue] ?? 0, "current": queue == filter.queue, "value": queue.rawValue]
                    },
                    "queue": filter.queue.rawValue,
                    "documents": documents.map { view.values($0, communitySlug: community.slug) },
                    "kinds": DocumentKind.allCases.map { ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": $0 == filter.kind] as [String: Any] },
                    "statuses": DocumentStatus.allCases.map { ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": $0 == filter.status] as [String: Any] },
                    "can_verify": viewer.can(.verifyIdentities, in: community.id),
                ])
            return services.renderer.response(page, request: request, context: context)
        }

        router.get("/{community}/office/documents/{id}") { request, context in
            let (community, viewer) = try await services.authorize(context, .useOffice)
            let document = try await services.workflow.find(try Self.id(context), communityID: community.id)
            return try await documentPage(request, context, community: community, viewer: viewer, document: document)
        }

        router.post("/{community}/office/documents/{id}/actions") { request, context in
            let (community, viewer) = try await services.authorize(context, .useOffice)
            let id = try Self.id(context)
            let form = try await FormData.from(request)
            do {
                let action = try Self.actionRequest(from: form, answerFields: services.workflow.answerFieldNames)
                try await services.workflow.perform(action, documentID: id, by: viewer, community: community)
                return services.redirect(to: "/\(community.slug)/office/documents/\(id)", flash: "document.done.\(action.action.rawValue)")
            } catch let error as AppError where error.kind == .validation || error.kind == .conflict {
                let document = try await services.workflow.find(id, communityID: community.id)
                return try await documentPage(request, context, community: community, viewer: viewer, document: document, form: form, error: error)
            }
        }

        router.get("/{community}/documents/{id}") { request, context in
            let community = try await services.community(context)
            let document = try await services.workflow.find(try Self.id(context), communityID: community.id)
            try Self.requirePublicAccess(to: document, viewer: context.viewer, communityID: community.id)
            let view = services.documentView(context.language)
            let events = try await services.workflow.events(of: document.id, includeInternal: false)
            var values = view.values(document, communitySlug: community.slug)
            values["events"] = events.map { view.values($0, showActors: false) }
            values["source_href"] = services.workflow.sourcePath(document, communitySlug: community.slug)
            let page = Page("document", titleKey: "document.title", titleText: document.reference, community: community, values: values)
            return services.renderer.response(page, request: request, context: context)
        }
    }

    /// Public documents are open to everyone; an appeal only to its author and the staff.
    static func requirePublicAccess(to document: Document, viewer: Viewer?, communityID: Int) throws {
        if document.isPublic { return }
        guard let viewer else { throw AppError.signInRequired }
        let relation = viewer.relation(toDocumentIn: document.departmentID, assigneeID: document.assigneeID, communityID: communityID)
        guard document.authorID == viewer.person.id || relation.canSeeInternals else { throw AppError.notFound }
    }


    static func id(_ context: AppRequestContext) throws -> Int {
        guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
        return id
    }

    static func filter(_ query: Parameters) -> QueueFilter {
        QueueFilter(
            queue: query["queue"].flatMap { DocumentQueue(rawValue: String($0)) } ?? .department,
            kind: query["kind"].flatMap { DocumentKind(rawValue: String($0)) },
            status: query["status"].flatMap { DocumentStatus(rawValue: String($0)) })
    }

    /// Reads an action form; an unknown action or a malformed field is a validation error.
    static func actionRequest(from form: FormData, answerFields: [String]) throws -> ActionRequest {
        guard let action = DocumentAction(rawValue: form["action"]) else {
            throw AppError(.validation, fieldErrors: ["action": "document.error.action"])
        }
        var dueOn: CalendarDay?
        if !form["due_on"].isEmpty {
            guard let day = CalendarDay(iso: form["due_on"]) else {
                throw AppError(.validation, fieldErrors: ["due_on": "document.error.extension_date"])
            }
            dueOn = day
        }
        return ActionRequest(
            action, comment: form.raw("comment"), assigneeID: Int(form["assignee"]), departmentID: Int(form["department"]),
            dueOn: dueOn, outcome: form["outcome"].isEmpty ? nil : form["outcome"], link: form["link"],
            fields: Dictionary(uniqueKeysWithValues: answerFields.map { ($0, form[$0]) }))
    }

    private func documentPage(
        _ request: Request, _ context: AppRequestContext, community: Community, viewer: Viewer, document: Document,
        form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let relation = viewer.relation(toDocumentIn: document.departmentID, assigneeID: document.assigneeID, communityID: community.id)
        guard relation.canSeeInternals else { throw AppError.forbidden }
        let t = services.catalogue
        let language = context.language
        let view = services.documentView(language)
        var values = view.values(document, communitySlug: community.slug)
        values["events"] = try await services.workflow.events(of: document.id, includeInternal: true).map { view.values($0, showActors: true) }
        values["source_href"] = services.workflow.sourcePath(document, communitySlug: community.slug)
        let actions = Set(DocumentLifecycle.availableActions(relation, status: document.status))
        for action in actions { values["can_\(action.rawValue)"] = true }
        if actions.contains(.assign) {
            values["staff"] = try await services.workflow.staff(of: document.departmentID, communityID: community.id).map {
                ["id": $0.id, "name": $0.name, "selected": $0.id == document.assigneeID] as [String: Any]
            }
        }
        if actions.contains(.transfer) {
            values["departments"] = try await services.communities.departments(of: community.id)
                .filter { $0.id != document.departmentID }.map { ["id": $0.id, "name": $0.name(language)] as [String: Any] }
        }
        if actions.contains(.extend), let maximum = document.kind.maximumTermDays {
            values["latest_due"] = document.registeredOn.adding(days: maximum).isoString
        }
        if actions.contains(.answer) {
            let outcomes = services.workflow.sources[document.sourceType]?.answerOutcomes ?? ["answered"]
            values["outcomes"] = outcomes.map { ["value": $0, "label": t.text("outcome.\($0)", language), "selected": form?["outcome"] == $0] as [String: Any] }
            values["answer_fields"] = (services.workflow.sources[document.sourceType]?.answerFields ?? []).map { name -> [String: Any] in
                var field: [String: Any] = ["name": name, "label": t.text("answer_field.\(name)", language), "value": form?[name] ?? ""]
                if let key = error?.fieldErrors[name] { field["error"] = t.text(key, language) }
                return field
            }
        }
        values["form_action"] = form?["action"] ?? ""
        values["form_comment"] = form?.raw("comment") ?? ""
        var page = Page("office-document", titleKey: "document.title", titleText: document.reference, community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
