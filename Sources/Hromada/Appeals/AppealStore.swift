import Foundation
import Postgres

/// Appeals in PostgreSQL. Submitting one registers its document in the same transaction.
public struct AppealStore: Sendable {
    let database: PostgresPool
    let workflow: WorkflowStore
    let limits: LimitStore

    /// Stores the appeal and registers it; returns both.
    public func submit(
        topic: String, subject: String, body: String, address: String, by author: Viewer, in community: Community, ip: String?
    ) async throws -> (Appeal, Document) {
        let subject = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        let address = address.trimmingCharacters(in: .whitespacesAndNewlines)
        let errors = AppealRules.errors(subject: subject, body: body, address: address, topic: topic)
        guard errors.isEmpty, let topic = AppealTopic(rawValue: topic) else { throw AppError(.validation, fieldErrors: errors) }
        return try await database.transaction { session in
            try await limits.charge(.appeal, to: .person(author, address: ip), communityID: community.id, on: session)
            let row = try await session.query(
                """
                INSERT INTO appeals (community_id, author_id, topic, subject, body, address)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at
                """, community.id, author.person.id, topic.rawValue, subject, body, address.isEmpty ? nil : address)[0]
            let appeal = Appeal(
                id: try row.decode("id"), communityID: community.id, authorID: author.person.id, topic: topic, subject: subject,
                body: body, address: address.isEmpty ? nil : address, createdAt: try row.decode("created_at"))
            let document = try await workflow.register(
                RegistrationRequest(kind: .appeal, sourceType: AppealSource.type, sourceID: String(appeal.id), title: subject,
                                    category: topic.rawValue, authorID: author.person.id),
                communityID: community.id, communitySlug: community.slug, on: session)
            try await AuditLog.record(
                AuditEntry(actorID: author.person.id, communityID: community.id, action: "appeal.submit", objectType: "appeal",
                           objectID: String(appeal.id), summary: "registered as \(document.reference)", ip: ip), on: session)
            return (appeal, document)
        }
    }

    public func find(_ id: Int, communityID: Int) async throws -> Appeal {
        let rows = try await database.query(
            "SELECT id, community_id, author_id, topic, subject, body, address, created_at FROM appeals WHERE id = $1 AND community_id = $2",
            id, communityID)
        guard let row = rows.first else { throw AppError.notFound }
        return Appeal(
            id: try row.decode("id"), communityID: try row.decode("community_id"), authorID: try row.decode("author_id"),
            topic: AppealTopic(rawValue: try row.decode("topic")) ?? .other, subject: try row.decode("subject"),
            body: try row.decode("body"), address: try row.decode("address"), createdAt: try row.decode("created_at"))
    }
}

/// Appeals as a source of documents: the answer is kept on the document itself and read on the
/// appeal's page, so there is nothing else to update.
public struct AppealSource: DocumentSource {
    public static let type = "appeal"
    public var sourceType: String { Self.type }
    public var answerOutcomes: [String] { ["answered", "supported", "not_supported", "explained"] }

    public func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws {}

    public func path(of document: Document, communitySlug: String) -> String {
        "/\(communitySlug)/appeals/\(document.sourceID)"
    }
}
