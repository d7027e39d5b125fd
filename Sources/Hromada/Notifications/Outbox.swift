import Foundation
import Postgres

/// E-mail to people, written in the same transaction as the event it tells about, so a message is
/// never sent for something that did not happen and never lost for something that did.
/// With SMTP configured a job delivers each message; without it, administrators read the
/// outbox at `/{community}/admin/outbox`.
public struct Outbox: Sendable {
    public struct Recipient: Sendable {
        public var personID: Int?
        public var email: String
        public var language: Language
    }

    let catalogue: TranslationCatalogue
    let jobs: JobQueue
    /// Whether a mail transport is configured; otherwise messages wait in the outbox.
    let delivers: Bool
    let publicURL: String

    /// A subject is one header line: line breaks in what it quotes (a title stored before titles
    /// refused them) become spaces, so the message can still be sent.
    static func subjectLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isNewline }).joined(separator: " ")
    }

    /// Queues a message whose subject and body are the catalogue entries `mail.<template>.subject`
    /// and `mail.<template>.body`, with `{placeholders}` filled in and `{url}` made absolute.
    public func send(
        _ template: String, to recipient: Recipient, values: [String: String], communityID: Int?, on session: PostgresSession
    ) async throws {
        var values = values
        if let path = values["url"] { values["url"] = publicURL + path }
        let subject = Self.subjectLine(catalogue.text("mail.\(template).subject", recipient.language, values))
        let body = catalogue.text("mail.\(template).body", recipient.language, values)
        let id = try await session.query(
            """
            INSERT INTO outbox_messages (community_id, person_id, to_address, subject, body)
            VALUES ($1, $2, $3, $4, $5) RETURNING id
            """, communityID, recipient.personID, recipient.email, subject, body)[0].decode("id", as: Int.self)
        if delivers {
            try await jobs.enqueue(OutboxDelivery.kind, payload: ["message_id": id], on: session)
        }
    }

    /// Queues one message to each person `recipientsQuery` selects (one `person_id` column, one
    /// parameter `$1`), in each person's language, with set-based inserts so thousands of signers
    /// cost a few statements.
    public func broadcast(
        _ template: String, values: [String: String], toPeopleIn recipientsQuery: String, parameter: Int, communityID: Int,
        on session: PostgresSession
    ) async throws {
        var values = values
        if let path = values["url"] { values["url"] = publicURL + path }
        for language in Language.allCases {
            let inserted = try await session.query(
                """
                INSERT INTO outbox_messages (community_id, person_id, to_address, subject, body)
                SELECT $2, p.id, p.email::text, $3, $4 FROM people p
                WHERE p.locale = $5 AND p.id IN (\(recipientsQuery))
                RETURNING id
                """, parameter, communityID, Self.subjectLine(catalogue.text("mail.\(template).subject", language, values)),
                catalogue.text("mail.\(template).body", language, values), language.rawValue)
            if delivers {
                for row in inserted {
                    try await jobs.enqueue(OutboxDelivery.kind, payload: ["message_id": try row.decode("id")], on: session)
                }
            }
        }
    }

    /// The recipient record of a person.
    public static func recipient(personID: Int, on session: PostgresSession) async throws -> Recipient? {
        try await session.query("SELECT email::text, locale FROM people WHERE id = $1", personID).first.map { row in
            Recipient(personID: personID, email: try row.decode("email"),
                      language: Language(rawValue: try row.decode("locale")) ?? .default)
        }
    }
}

/// A message of the outbox, for the administrators' view.
public struct OutboxMessage: Sendable {
    public var id: Int
    public var to: String
    public var subject: String
    public var body: String
    public var createdAt: Date
    public var status: String
    public var lastError: String?
}

extension Outbox {
    /// The latest messages of a community.
    public static func recent(in communityID: Int, limit: Int = 50, database: PostgresPool) async throws -> [OutboxMessage] {
        try await database.query(
            """
            SELECT id, to_address, subject, body, created_at, status, last_error FROM outbox_messages
            WHERE community_id = $1 ORDER BY id DESC LIMIT $2
            """, communityID, limit
        ).map { row in
            OutboxMessage(
                id: try row.decode("id"), to: try row.decode("to_address"), subject: try row.decode("subject"),
                body: try row.decode("body"), createdAt: try row.decode("created_at"), status: try row.decode("status"),
                lastError: try row.decode("last_error"))
        }
    }
}
