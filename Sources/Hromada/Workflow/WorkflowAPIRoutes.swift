import Foundation
import Hummingbird
import Postgres

/// The workflow's JSON API: staff queues and actions, a document's public status, appeals.
struct WorkflowAPIRoutes {
    let services: AppServices

    struct DocumentJSON: Encodable {
        struct Answer: Encodable {
            var text: String
            var outcome: String
            var link: String?
            var answeredAt: Date
        }
        struct Event: Encodable {
            var at: Date
            var action: String
            var status: String?
            var actor: String?
            var comment: String?
            var `internal`: Bool
        }
        var id: Int
        var reference: String
        var kind: String
        var title: String
        var status: String
        var priority: String
        var department: String
        var assignee: String?
        var registeredOn: CalendarDay
        var dueOn: CalendarDay
        var overdue: Bool
        var extensionReason: String?
        var answer: Answer?
        var source: String
        var events: [Event]?
    }

    struct ActionJSON: Decodable {
        var action: String
        var comment: String?
        var assigneeId: Int?
        var departmentId: Int?
        var dueOn: String?
        var outcome: String?
        var link: String?
        /// The source's own answer fields, such as a budget review's `corrected_cost`.
        var fields: [String: String]?
    }

    struct AppealJSON: Decodable {
        var topic: String
        var subject: String
        var text: String
        var address: String?
    }

    /// The path's document, which the viewer must be staff of (its department or assignee).
    private func staffDocument(_ context: AppRequestContext, viewer: Viewer, community: Community) async throws -> Document {
        let document = try await services.workflow.find(try OfficeRoutes.id(context), communityID: community.id)
        guard viewer.relation(toDocumentIn: document.departmentID, assigneeID: document.assigneeID, communityID: community.id).canSeeInternals
        else { throw AppError.forbidden }
        return document
    }

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("/api/v1/{community}")
        api.get("/office/documents") { request, context in
            let (community, viewer) = try await services.authorize(context, .useOffice)
            let filter = OfficeRoutes.filter(request.uri.queryParameters)
            let documents = try await services.workflow.documents(in: filter, for: viewer, communityID: community.id)
            let counts = try await services.workflow.counts(for: viewer, communityID: community.id)
            struct Queue: Encodable {
                var queue: String
                var counts: [String: Int]
                var documents: [DocumentJSON]
            }
            return try JSONResponse.make(Queue(
                queue: filter.queue.rawValue, counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
                documents: documents.map { json($0, community: community, events: nil) }))
        }
        api.get("/office/documents/{id}") { _, context in
            let (community, viewer) = try await services.authorize(context, .useOffice)
            let document = try await staffDocument(context, viewer: viewer, community: community)
            let events = try await services.workflow.events(of: document.id, includeInternal: true)
            return try JSONResponse.make(json(document, community: community, events: events, showActors: true))
        }
        api.post("/office/documents/{id}/actions") { request, context in
            let (community, viewer) = try await services.authorize(context, .useOffice)
            // Staff of another department are refused before their body is read.
            let document = try await staffDocument(context, viewer: viewer, community: community)
            let body = try await JSONResponse.decode(ActionJSON.self, from: request)
            guard let action = DocumentAction(rawValue: body.action) else {
                throw AppError(.validation, fieldErrors: ["action": "document.error.action"])
            }
            var dueOn: CalendarDay?
            if let text = body.dueOn {
                guard let day = CalendarDay(iso: text) else { throw AppError(.validation, fieldErrors: ["due_on": "document.error.extension_date"]) }
                dueOn = day
            }
            let updated = try await services.workflow.perform(
                ActionRequest(action, comment: body.comment ?? "", assigneeID: body.assigneeId, departmentID: body.departmentId,
                              dueOn: dueOn, outcome: body.outcome, link: body.link, fields: body.fields ?? [:]),
                documentID: document.id, by: viewer, community: community)
            return try JSONResponse.make(json(updated, community: community, events: nil))
        }
        api.get("/documents/{id}") { _, context in
            let community = try await services.community(context)
            let document = try await services.workflow.find(try OfficeRoutes.id(context), communityID: community.id)
            try OfficeRoutes.requirePublicAccess(to: document, viewer: context.viewer, communityID: community.id)
            let events = try await services.workflow.events(of: document.id, includeInternal: false)
            return try JSONResponse.make(json(document, community: community, events: events))
        }
        api.get("/appeals") { _, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let documents = try await services.workflow.documents(authoredBy: viewer.person.id, communityID: community.id)
                .filter { $0.sourceType == AppealSource.type }
            return try JSONResponse.make(documents.map { json($0, community: community, events: nil) })
        }
        api.post("/appeals") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let body = try await JSONResponse.decode(AppealJSON.self, from: request)
            let (_, document) = try await services.appeals.submit(
                topic: body.topic, subject: body.subject, body: body.text, address: body.address ?? "", by: viewer, in: community,
                ip: context.clientIP)
            var response = try JSONResponse.make(json(document, community: community, events: nil), status: .created)
            response.headers[.location] = "/api/v1/\(community.slug)/documents/\(document.id)"
            return response
        }
    }


    private func json(_ document: Document, community: Community, events: [DocumentEvent]?, showActors: Bool = false) -> DocumentJSON {
        DocumentJSON(
            id: document.id, reference: document.reference, kind: document.kind.rawValue, title: document.title,
            status: document.status.rawValue, priority: document.priority.rawValue, department: document.departmentName.uk,
            assignee: showActors ? document.assigneeName : nil, registeredOn: document.registeredOn, dueOn: document.dueOn,
            overdue: document.isOverdue(today: services.todayInKyiv), extensionReason: document.extensionReason,
            answer: document.answer.map { .init(text: $0.text, outcome: $0.outcome, link: $0.link, answeredAt: $0.answeredAt) },
            source: services.workflow.sourcePath(document, communitySlug: community.slug),
            events: events?.map { event in
                DocumentJSON.Event(
                    at: event.at, action: event.action, status: event.toStatus?.rawValue, actor: showActors ? event.actorName : nil,
                    comment: showActors || event.action == DocumentAction.extend.rawValue ? event.comment : nil, internal: event.isInternal)
            })
    }
}
