import Foundation
import Postgres

/// The applications an administrator lets post reports through Open311, each with its own key.
/// Only the key's SHA-256 is stored; the key is shown once, when it is issued.
public struct Open311Application: Sendable {
    public var id: Int
    public var name: String
    public var createdAt: Date
    public var revokedAt: Date?
}

extension ReportStore {
    /// Issues a key for a new application and returns it; it cannot be shown again.
    public func issueApplicationKey(name: String, by admin: Viewer, communityID: Int, ip: String?) async throws -> String {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw AppError(.validation, fieldErrors: ["name": "budget.error.name"]) }
        let key = Crypto.randomToken(byteCount: 24)
        try await database.transaction { session in
            let id: Int = try await session.query(
                "INSERT INTO open311_applications (community_id, name, key_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
                communityID, name, Data(Crypto.sha256(Array(key.utf8))), admin.person.id)[0].decode("id")
            try await AuditLog.record(AuditEntry(actorID: admin.person.id, communityID: communityID, action: "opencity.api_key_issue",
                                                 objectType: "open311_application", objectID: String(id), summary: name, ip: ip), on: session)
        }
        return key
    }

    public func revokeApplication(_ id: Int, by admin: Viewer, communityID: Int, ip: String?) async throws {
        try await database.transaction { session in
            let revoked = try await session.query(
                "UPDATE open311_applications SET revoked_at = now() WHERE id = $1 AND community_id = $2 AND revoked_at IS NULL RETURNING id",
                id, communityID)
            guard !revoked.isEmpty else { throw AppError.notFound }
            try await AuditLog.record(AuditEntry(actorID: admin.person.id, communityID: communityID, action: "opencity.api_key_revoke",
                                                 objectType: "open311_application", objectID: String(id), ip: ip), on: session)
        }
    }

    public func applications(communityID: Int) async throws -> [Open311Application] {
        try await database.query(
            "SELECT id, name, created_at, revoked_at FROM open311_applications WHERE community_id = $1 ORDER BY id", communityID
        ).map { Open311Application(id: try $0.decode("id"), name: try $0.decode("name"), createdAt: try $0.decode("created_at"),
                                   revokedAt: try $0.decode("revoked_at")) }
    }

    /// The application holding `key` in the community, if the key is valid.
    public func application(forKey key: String, communityID: Int) async throws -> Int? {
        try await database.query(
            "SELECT id FROM open311_applications WHERE key_hash = $1 AND community_id = $2 AND revoked_at IS NULL",
            Data(Crypto.sha256(Array(key.utf8))), communityID
        ).first?.decode("id")
    }
}
