import Foundation
import Postgres

/// Charges what people create against their community's limits, and keeps each community's
/// own values in `community_limits`.
public struct LimitStore: Sendable {
    let database: PostgresPool
    let rateLimiter: RateLimiter

    public init(database: PostgresPool, rateLimiter: RateLimiter) {
        self.database = database
        self.rateLimiter = rateLimiter
    }

    /// The limits in force in a community.
    public func limits(of communityID: Int) async throws -> CommunityLimits {
        try await database.withConnection { session in try await Self.limits(of: communityID, on: session) }
    }

    static func limits(of communityID: Int, on session: PostgresSession) async throws -> CommunityLimits {
        var overrides: [LimitKey: Allowance] = [:]
        for row in try await session.query(
            "SELECT action, scope, maximum, window_seconds FROM community_limits WHERE community_id = $1", communityID)
        {
            guard let action = LimitedAction(rawValue: try row.decode("action")), let scope = LimitScope(rawValue: try row.decode("scope"))
            else { continue }
            overrides[LimitKey(action, scope)] = Allowance(try row.decode("maximum"), per: try row.decode("window_seconds"))
        }
        return CommunityLimits(overrides: overrides)
    }

    /// Replaces a community's own values with `overrides` (limits left out take the defaults),
    /// recorded in the audit log with who changed them.
    public func save(_ overrides: [LimitKey: Allowance], communityID: Int, by admin: Viewer, ip: String?) async throws {
        guard overrides.values.allSatisfy(CommunityLimits.isValid) else { throw AppError(.validation, detailKey: "limits.error.value") }
        try await database.transaction { session in
            let before = try await Self.limits(of: communityID, on: session)
            try await session.query("DELETE FROM community_limits WHERE community_id = $1", communityID)
            for key in CommunityLimits.keys {
                guard let allowance = overrides[key] else { continue }
                try await session.query(
                    """
                    INSERT INTO community_limits (community_id, action, scope, maximum, window_seconds, updated_by)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    """, communityID, key.action.rawValue, key.scope.rawValue, allowance.maximum, allowance.windowSeconds, admin.person.id)
            }
            let changed = CommunityLimits.keys.filter { before.overrides[$0] != overrides[$0] }.map { key in
                "\(key.action.rawValue).\(key.scope.rawValue): "
                    + (overrides[key].map { "\($0.maximum)/\($0.windowSeconds)s" } ?? "default")
            }
            try await AuditLog.record(AuditEntry(actorID: admin.person.id, communityID: communityID, action: "limits.update",
                                                 objectType: "community", objectID: String(communityID),
                                                 summary: changed.isEmpty ? "no change" : changed.joined(separator: "; "), ip: ip), on: session)
        }
    }

    /// Charges `amount` of `action` (one item, or the bytes of photos) to the participant's
    /// allowances in the community, in the caller's transaction: the person's, the address's
    /// (unless exempt) and the Open311 application's, as far as the action is limited for each.
    /// When any would be passed it throws a rate-limited error that says how long to wait, and the
    /// caller's transaction rolls back, so nothing was created and nothing counted.
    public func charge(_ action: LimitedAction, amount: Int = 1, to participant: Participant, communityID: Int,
                       on session: PostgresSession) async throws {
        guard amount > 0 else { return }
        let limits = try await Self.limits(of: communityID, on: session)
        var subjects: [(LimitScope, String)] = []
        if let personID = participant.personID { subjects.append((.person, String(personID))) }
        if let address = participant.address, !rateLimiter.isExempt(address) { subjects.append((.address, RateLimiter.addressKey(address))) }
        if let applicationID = participant.applicationID { subjects.append((.apiKey, String(applicationID))) }
        let charges = subjects.compactMap { scope, subject -> RateLimiter.Charge? in
            limits.allowance(LimitKey(action, scope)).map {
                RateLimiter.Charge(bucket: "limit:\(action.rawValue):\(scope.rawValue):\(communityID):\(subject)", cost: amount,
                                   maximum: $0.maximum, windowSeconds: $0.windowSeconds)
            }
        }
        let refused = try await rateLimiter.spend(charges, on: session)
        guard refused.isEmpty else {
            let wait = refused.map { RateLimiter.secondsLeft(inWindowOf: $0.windowSeconds) }.max()
            throw AppError(.rateLimited, detailKey: action.refusalKey, retryAfterSeconds: wait)
        }
    }
}
