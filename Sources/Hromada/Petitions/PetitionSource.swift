import Foundation
import Postgres

/// Petitions as a source of workflow documents: the official answer marks the petition answered
/// and is sent to every valid signer.
public struct PetitionSource: DocumentSource {
    public static let type = "petition"
    public var sourceType: String { Self.type }
    public var answerOutcomes: [String] { ["supported", "partly_supported", "not_supported"] }
    let outbox: Outbox

    public func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws {
        guard let id = Int(document.sourceID) else { return }
        let rows = try await session.query(
            "UPDATE petitions SET status = 'answered' WHERE id = $1 AND status IN ('consideration', 'not_enough') RETURNING title, status", id)
        guard let row = rows.first else { return }
        try await session.query(
            """
            INSERT INTO petition_events (petition_id, from_status, to_status, comment)
            SELECT $1, to_status, 'answered', '' FROM petition_events WHERE petition_id = $1 ORDER BY id DESC LIMIT 1
            """, id)
        let slug = try await CommunityStore.slugs(on: session)[document.communityID] ?? ""
        try await outbox.broadcast(
            "petition_answered", values: ["title": try row.decode("title"), "url": path(of: document, communitySlug: slug)],
            toPeopleIn: "SELECT person_id FROM petition_signatures WHERE petition_id = $1 AND invalidated_at IS NULL", parameter: id,
            communityID: document.communityID, on: session)
    }

    public func path(of document: Document, communitySlug: String) -> String {
        "/\(communitySlug)/petitions/\(document.sourceID)"
    }
}

/// Every few minutes: moves petitions whose count reached the threshold to consideration (a
/// safety net behind the signing path), and closes collection periods that have ended: a petition
/// short of its threshold becomes "not enough signatures" and goes to the council as an ordinary appeal.
struct PetitionSweep: JobHandler {
    static let kind = "petitions.sweep"
    var kind: String { Self.kind }
    let petitions: PetitionStore

    func run(_ job: Job, on session: PostgresSession) async throws {
        let today = try await WorkflowStore.today(on: session)
        // Only the petitions due are locked, and NO KEY UPDATE does not block signers' foreign-key checks.
        let due = try await session.query(
            PetitionStore.select + """
             WHERE p.status = 'collecting'
               AND (p.collection_ends_on < $1
                    OR coalesce((SELECT sum(c.signatures) FROM petition_signature_counts c WHERE c.petition_id = p.id), 0) >= p.signature_threshold)
             ORDER BY p.id LIMIT 200 FOR NO KEY UPDATE OF p SKIP LOCKED
            """, today).map(PetitionStore.petition)
        let slugs = try await CommunityStore.slugs(on: session)
        for petition in due {
            try await petitions.endCollection(
                petition.id, reached: petition.signatures >= petition.signatureThreshold, communityID: petition.communityID,
                communitySlug: slugs[petition.communityID] ?? "", on: session)
        }
    }
}
