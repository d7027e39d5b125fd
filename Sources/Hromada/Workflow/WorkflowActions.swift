import Foundation
import Postgres

/// What a member of staff asks to do to a document, from a form or the API.
public struct ActionRequest: Sendable {
    public var action: DocumentAction
    public var comment: String = ""
    public var assigneeID: Int?
    public var departmentID: Int?
    public var dueOn: CalendarDay?
    public var outcome: String?
    public var link: String?
    /// Values of the source's ``DocumentSource/answerFields``.
    public var fields: [String: String]

    public init(_ action: DocumentAction, comment: String = "", assigneeID: Int? = nil, departmentID: Int? = nil,
                dueOn: CalendarDay? = nil, outcome: String? = nil, link: String? = nil, fields: [String: String] = [:]) {
        self.action = action
        self.comment = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        self.assigneeID = assigneeID
        self.departmentID = departmentID
        self.dueOn = dueOn
        self.outcome = outcome
        self.link = link.flatMap { $0.isEmpty ? nil : $0 }
        self.fields = fields
    }
}

extension Viewer {
    /// How the viewer stands to a document of `departmentID`.
    public func relation(toDocumentIn departmentID: Int, assigneeID: Int?, communityID: Int) -> StaffRelation {
        let departmentGrants = grants.filter { $0.communityID == communityID && $0.departmentID == departmentID }
        return StaffRelation(
            isAdministrator: can(.administer, in: communityID),
            isHead: departmentGrants.contains { $0.role == .departmentHead },
            isInDepartment: departmentGrants.contains { $0.role == .official || $0.role == .departmentHead },
            isAssignee: assigneeID == person.id)
    }

    /// The departments the viewer works in, in one community.
    public func departments(in communityID: Int) -> [Int] {
        grants.filter { $0.communityID == communityID && ($0.role == .official || $0.role == .departmentHead) }
            .compactMap(\.departmentID)
    }
}

extension WorkflowStore {
    static let internalActions: Set<DocumentAction> = [.comment, .giveBack]

    /// Carries out a staff action in one transaction: checks the state machine and the person's
    /// right, applies it, records it in the history, tells whoever needs to know, and for an
    /// answer updates the source object. Bad input is a validation error; an action the status
    /// does not allow is a conflict; nothing changes in either case.
    @discardableResult
    public func perform(_ request: ActionRequest, documentID: Int, by viewer: Viewer, community: Community) async throws -> Document {
        try await database.transaction { session in
            let rows = try await session.query(
                Self.selectDocument + " WHERE d.id = $1 AND d.community_id = $2 FOR NO KEY UPDATE OF d", documentID, community.id)
            guard let row = rows.first else { throw AppError.notFound }
            let document = try Self.document(row)
            let relation = viewer.relation(toDocumentIn: document.departmentID, assigneeID: document.assigneeID, communityID: community.id)
            guard relation.canSeeInternals else { throw AppError.forbidden }
            guard let newStatus = DocumentLifecycle.status(after: request.action, from: document.status) else {
                throw AppError(.conflict, detailKey: "document.error.not_now")
            }
            guard DocumentLifecycle.permits(request.action, relation, status: document.status) else { throw AppError.forbidden }
            try await apply(request, to: document, newStatus: newStatus, viewer: viewer, community: community, on: session)
            try await recordEvent(
                document.id, actorID: viewer.person.id, action: request.action.rawValue, from: document.status, to: newStatus,
                comment: request.comment, internal: Self.internalActions.contains(request.action), on: session)
            return try await find(document.id, communityID: community.id, on: session)
        }
    }

    private func apply(
        _ request: ActionRequest, to document: Document, newStatus: DocumentStatus, viewer: Viewer, community: Community,
        on session: PostgresSession
    ) async throws {
        func require(_ condition: Bool, _ field: String, _ key: String) throws {
            if !condition { throw AppError(.validation, fieldErrors: [field: key]) }
        }
        switch request.action {
        case .assign:
            guard let assignee = request.assigneeID else {
                throw AppError(.validation, fieldErrors: ["assignee": "document.error.assignee"])
            }
            let isStaff = try await session.query(
                """
                SELECT 1 FROM role_grants WHERE community_id = $1 AND person_id = $2 AND department_id = $3
                  AND role IN ('official', 'department_head')
                """, community.id, assignee, document.departmentID)
            try require(!isStaff.isEmpty, "assignee", "document.error.assignee")
            try await session.query("UPDATE documents SET status = $2, assignee_id = $3 WHERE id = $1", document.id, newStatus.rawValue, assignee)
            var assigned = document
            assigned.assigneeID = assignee
            try await notifyDepartment(assigned, template: "document_assigned", communitySlug: community.slug, on: session)
            try await sources[document.sourceType]?.documentTakenUp(assigned, on: session)
        case .take:
            try await session.query("UPDATE documents SET status = $2, assignee_id = $3 WHERE id = $1", document.id, newStatus.rawValue, viewer.person.id)
            try await sources[document.sourceType]?.documentTakenUp(document, on: session)
        case .comment:
            try require(!request.comment.isEmpty && request.comment.count <= 5000, "comment", "document.error.comment")
        case .giveBack:
            try require(!request.comment.isEmpty && request.comment.count <= 5000, "comment", "document.error.reason")
            try await session.query("UPDATE documents SET status = $2, assignee_id = NULL WHERE id = $1", document.id, newStatus.rawValue)
            var returned = document
            returned.assigneeID = nil
            try await notifyDepartment(returned, template: "document_returned", communitySlug: community.slug, on: session)
        case .transfer:
            try require(!request.comment.isEmpty, "comment", "document.error.reason")
            guard let target = request.departmentID else {
                throw AppError(.validation, fieldErrors: ["department": "document.error.department"])
            }
            let exists = try await session.query("SELECT 1 FROM departments WHERE id = $1 AND community_id = $2", target, community.id)
            try require(!exists.isEmpty && target != document.departmentID, "department", "document.error.department")
            try await session.query(
                "UPDATE documents SET status = $2, department_id = $3, assignee_id = NULL, overdue_notified_at = NULL WHERE id = $1",
                document.id, newStatus.rawValue, target)
            var moved = try await find(document.id, communityID: community.id, on: session)
            moved.status = newStatus
            try await notifyDepartment(moved, template: "document_assigned_department", communitySlug: community.slug, on: session)
        case .extend:
            guard let maximumDays = document.kind.maximumTermDays else {
                throw AppError(.conflict, detailKey: "document.error.no_extension")
            }
            try require(!request.comment.isEmpty, "comment", "document.error.reason")
            let latest = document.registeredOn.adding(days: maximumDays)
            guard let dueOn = request.dueOn, dueOn > document.dueOn, dueOn <= latest else {
                throw AppError(.validation, fieldErrors: ["due_on": "document.error.extension_date"])
            }
            try await session.query(
                "UPDATE documents SET due_on = $2, extension_reason = $3, overdue_notified_at = NULL WHERE id = $1",
                document.id, dueOn, request.comment)
            try await notifyAuthor(document, template: "document_extended", extra: ["due": dueOn.isoString, "reason": request.comment],
                                   communitySlug: community.slug, on: session)
        case .answer:
            let outcomes = sources[document.sourceType]?.answerOutcomes ?? ["answered"]
            try require(!request.comment.isEmpty && request.comment.count <= 20_000, "comment", "document.error.answer")
            try require(request.outcome.map(outcomes.contains) == true, "outcome", "document.error.outcome")
            if let link = request.link {
                try require((link.hasPrefix("https://") || link.hasPrefix("http://")) && link.count <= 500, "link", "document.error.link")
            }
            let answeredAt = try await session.query(
                """
                UPDATE documents SET status = $2, answer_text = $3, answer_outcome = $4, answer_link = $5, answered_at = now(),
                                     answered_by = $6
                WHERE id = $1 RETURNING answered_at
                """, document.id, newStatus.rawValue, request.comment, request.outcome, request.link, viewer.person.id
            )[0].decode("answered_at", as: Date.self)
            let answer = DocumentAnswer(text: request.comment, outcome: request.outcome ?? "", link: request.link, answeredAt: answeredAt,
                                        fields: request.fields)
            var answered = document
            answered.status = newStatus
            answered.answer = answer
            try await sources[document.sourceType]?.receiveAnswer(answer, for: answered, on: session)
            try await notifyAuthor(document, template: "document_answered", extra: [:], communitySlug: community.slug, on: session)
        case .close:
            try await session.query("UPDATE documents SET status = $2 WHERE id = $1", document.id, newStatus.rawValue)
        }
    }

    private func notifyAuthor(
        _ document: Document, template: String, extra: [String: String], communitySlug: String, on session: PostgresSession
    ) async throws {
        guard let authorID = document.authorID, let author = try await Outbox.recipient(personID: authorID, on: session) else { return }
        let values = ["reference": document.reference, "title": document.title, "url": sourcePath(document, communitySlug: communitySlug)]
        try await outbox.send(template, to: author, values: values.merging(extra) { $1 }, communityID: document.communityID, on: session)
    }
}
