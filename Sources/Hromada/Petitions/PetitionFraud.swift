import Foundation
import Postgres

/// What moderators look at when a petition's signatures seem manufactured.
public struct SigningPattern: Sendable {
    public var perHour: [(hour: Date, signatures: Int)]
    public var topPrefixes: [(prefix: String, signatures: Int)]
    public var topDomains: [(domain: String, signatures: Int)]
    public var invalidated: Int
}

/// Which signatures to invalidate; at least one criterion must be set.
public struct InvalidationCriteria: Sendable {
    /// An IP network such as `203.0.113.0/24`.
    public var network: String?
    public var emailDomain: String?
    public var signedFrom: Date?
    public var signedUntil: Date?

    public init(network: String? = nil, emailDomain: String? = nil, signedFrom: Date? = nil, signedUntil: Date? = nil) {
        self.network = network.flatMap { $0.isEmpty ? nil : $0 }
        self.emailDomain = emailDomain.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        self.signedFrom = signedFrom
        self.signedUntil = signedUntil
    }

    public var isEmpty: Bool { network == nil && emailDomain == nil && signedFrom == nil && signedUntil == nil }
}

extension PetitionStore {
    /// Signatures per hour, and the IP prefixes (/24, /48 for IPv6) and e-mail domains that signed most.
    public func signingPattern(of id: Int) async throws -> SigningPattern {
        let perHour = try await database.query(
            """
            SELECT date_trunc('hour', signed_at) AS hour, count(*)::int AS n FROM petition_signatures
            WHERE petition_id = $1 AND invalidated_at IS NULL GROUP BY 1 ORDER BY 1
            """, id).map { (try $0.decode("hour", as: Date.self), try $0.decode("n", as: Int.self)) }
        let prefixes = try await database.query(
            """
            SELECT host(network(set_masklen(ip, CASE WHEN family(ip) = 4 THEN 24 ELSE 48 END)))
                   || '/' || CASE WHEN family(ip) = 4 THEN '24' ELSE '48' END AS prefix, count(*)::int AS n
            FROM petition_signatures WHERE petition_id = $1 AND invalidated_at IS NULL AND ip IS NOT NULL
            GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
            """, id).map { (try $0.decode("prefix", as: String.self), try $0.decode("n", as: Int.self)) }
        let domains = try await database.query(
            """
            SELECT email_domain, count(*)::int AS n FROM petition_signatures WHERE petition_id = $1 AND invalidated_at IS NULL
            GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
            """, id).map { (try $0.decode("email_domain", as: String.self), try $0.decode("n", as: Int.self)) }
        let invalidated = try await database.query(
            "SELECT count(*)::int AS n FROM petition_signatures WHERE petition_id = $1 AND invalidated_at IS NOT NULL", id
        )[0].decode("n", as: Int.self)
        return SigningPattern(perHour: perHour, topPrefixes: prefixes, topDomains: domains, invalidated: invalidated)
    }

    /// Marks the valid signatures that match every given criterion as invalid (the rows stay),
    /// takes them off the count in the same transaction, and records it in the audit log.
    /// Returns how many were invalidated.
    @discardableResult
    public func invalidate(_ id: Int, matching criteria: InvalidationCriteria, reason: String, by moderator: Viewer,
                           in community: Community, ip: String?) async throws -> Int {
        guard !criteria.isEmpty else { throw AppError(.validation, fieldErrors: ["network": "petition.error.criteria"]) }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw AppError(.validation, fieldErrors: ["reason": "petition.error.reason"]) }
        _ = try await find(id, communityID: community.id)
        do {
            return try await database.transaction { session in
                let count = try await session.query(
                    """
                    WITH marked AS (
                        UPDATE petition_signatures SET invalidated_at = now(), invalidation_reason = $2
                        WHERE petition_id = $1 AND invalidated_at IS NULL
                          AND ($3::cidr IS NULL OR ip <<= $3::cidr)
                          AND ($4::text IS NULL OR email_domain = $4)
                          AND ($5::timestamptz IS NULL OR signed_at >= $5)
                          AND ($6::timestamptz IS NULL OR signed_at <= $6)
                        RETURNING 1
                    ) SELECT count(*)::int AS n FROM marked
                    """, id, reason, criteria.network, criteria.emailDomain, criteria.signedFrom, criteria.signedUntil
                )[0].decode("n", as: Int.self)
                if count > 0 {
                    try await session.query(
                        """
                        INSERT INTO petition_signature_counts (petition_id, shard, signatures) VALUES ($1, 0, -$2::int)
                        ON CONFLICT (petition_id, shard) DO UPDATE SET signatures = petition_signature_counts.signatures - $2::int
                        """, id, count)
                }
                let summary = "invalidated \(count) signatures (network \(criteria.network ?? "-"), domain \(criteria.emailDomain ?? "-")): \(reason)"
                try await AuditLog.record(AuditEntry(actorID: moderator.person.id, communityID: community.id, action: "petition.invalidate",
                                                     objectType: "petition", objectID: String(id), summary: summary, ip: ip), on: session)
                return count
            }
        } catch let error as PostgresError where error.sqlState == "22P02" {
            throw AppError(.validation, fieldErrors: ["network": "petition.error.network"])
        }
    }
}
