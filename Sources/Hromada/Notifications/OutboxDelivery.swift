import Foundation
import Postgres

/// Sends e-mail somewhere: SMTP in production.
public protocol MailTransport: Sendable {
    func deliver(to address: String, subject: String, body: String, messageID: String) async throws
}

/// The job that delivers one outbox message. Delivery is at least once: if the process dies
/// between the server's acceptance and the commit, the message goes out again.
struct OutboxDelivery: JobHandler {
    static let kind = "outbox.deliver"
    var kind: String { Self.kind }
    let transport: any MailTransport
    let database: PostgresPool
    let messageDomain: String

    func run(_ job: Job, on session: PostgresSession) async throws {
        guard let id = job.payload["message_id"] else { return }
        let rows = try await session.query(
            "SELECT to_address, subject, body FROM outbox_messages WHERE id = $1 AND status = 'pending'", id)
        guard let row = rows.first else { return }
        do {
            try await transport.deliver(
                to: try row.decode("to_address"), subject: try row.decode("subject"), body: try row.decode("body"),
                messageID: "outbox-\(id)@\(messageDomain)")
        } catch let error as SMTPError where !error.isTransient {
            // The server refused for good (no such mailbox): retrying would not help.
            try await session.query(
                "UPDATE outbox_messages SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1",
                id, error.description.prefix(500).description)
            return
        } catch {
            // Recorded outside the job's transaction, which rolls back, so the outbox shows why.
            _ = try? await database.query(
                "UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                id, String(describing: error).prefix(500).description)
            throw error
        }
        try await session.query(
            "UPDATE outbox_messages SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1", id)
    }
}
