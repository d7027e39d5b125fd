import Postgres

/// One entry of the append-only audit log.
public struct AuditEntry: Sendable {
    public var actorID: Int?
    public var communityID: Int?
    /// A dotted verb, such as `role.grant` or `verification.record`.
    public var action: String
    public var objectType: String?
    public var objectID: String?
    public var summary: String
    public var ip: String?

    public init(
        actorID: Int?, communityID: Int?, action: String, objectType: String? = nil, objectID: String? = nil,
        summary: String = "", ip: String? = nil
    ) {
        self.actorID = actorID
        self.communityID = communityID
        self.action = action
        self.objectType = objectType
        self.objectID = objectID
        self.summary = summary
        self.ip = ip
    }
}

public enum AuditLog {
    /// Writes the entry on `session`, which should be inside the transaction of the change it records.
    public static func record(_ entry: AuditEntry, on session: PostgresSession) async throws {
        try await session.query(
            """
            INSERT INTO audit_log (actor_id, community_id, action, object_type, object_id, summary, ip)
            VALUES ($1, $2, $3, $4, $5, $6, $7::inet)
            """,
            entry.actorID, entry.communityID, entry.action, entry.objectType, entry.objectID, entry.summary, entry.ip
        )
    }
}
