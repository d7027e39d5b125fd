import Foundation
import Postgres

/// Identity verifications in PostgreSQL. Modules ask ``identity(of:in:)``: is this person
/// verified here, how old are they, are they a resident?
public struct VerificationStore: Sendable {
    let database: PostgresPool
    let hasher: IdentityDocumentHasher
    let sessions: SessionStore

    /// The longest reason accepted for replacing a standing verification.
    public static let reasonLimit = 500

    /// Records a verification. Nobody verifies themselves, and a document already used by another
    /// account is refused (409). A standing verification that says exactly the same is kept and
    /// nothing is written (a form sent twice succeeds once); one that differs is replaced only with
    /// a stated `reason`, and stays in the person's ``history(of:in:)``. Verifications of one person
    /// run one at a time, so simultaneous ones each get one of these answers. Any refusal writes nothing.
    @discardableResult
    public func record(
        _ claims: IdentityClaims, source: String, personID: Int, communityID: Int, verifiedBy: Int?,
        replacing reason: String? = nil, ip: String?
    ) async throws -> VerificationOutcome {
        guard verifiedBy != personID else { throw AppError(.validation, fieldErrors: ["email": "verify.error.self"]) }
        let documentHash = Data(hasher.hash(type: claims.documentType, number: claims.documentNumber))
        let name = claims.fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let outcome = try await database.transaction { session -> VerificationOutcome in
            // The person's row lock queues a second verification of them until this one commits.
            // NO KEY UPDATE leaves the key-share locks of signatures and votes free.
            guard !(try await session.query("SELECT 1 FROM people WHERE id = $1 FOR NO KEY UPDATE", personID)).isEmpty else {
                throw AppError(.validation, fieldErrors: ["email": "admin.error.no_such_person"])
            }
            try await session.query(
                "INSERT INTO identity_documents (document_hash, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                documentHash, personID)
            let owner = try await session.query(
                "SELECT person_id FROM identity_documents WHERE document_hash = $1", documentHash)[0]
                .decode("person_id", as: Int.self)
            guard owner == personID else { throw AppError(.conflict, detailKey: "verify.error.document_used") }
            let standing = try await session.query(
                """
                SELECT id, verified_name, birth_date, is_resident, source, document_type, document_hash FROM verifications
                WHERE community_id = $1 AND person_id = $2 AND revoked_at IS NULL
                """, communityID, personID).first
            var summary = "verified via \(source) with \(claims.documentType.rawValue)"
            if let standing {
                let standingID: Int = try standing.decode("id")
                if try standing.decode("verified_name", as: String.self) == name,
                   try standing.decode("birth_date", as: CalendarDay.self) == claims.birthDate,
                   try standing.decode("is_resident", as: Bool.self) == claims.isResident,
                   try standing.decode("source", as: String.self) == source,
                   try standing.decode("document_type", as: String.self) == claims.documentType.rawValue,
                   try standing.decode("document_hash", as: Data.self) == documentHash {
                    return .unchanged
                }
                guard (1...Self.reasonLimit).contains(reason.count) else {
                    throw AppError(.validation, fieldErrors: ["reason": "verify.error.reason"])
                }
                // The clock, not the transaction's start: one that waited for the lock started earlier.
                try await session.query(
                    "UPDATE verifications SET revoked_at = clock_timestamp(), revoked_by = $2, revoke_reason = $3 WHERE id = $1",
                    standingID, verifiedBy ?? personID, reason)
                summary += ", replacing verification \(standingID): \(reason)"
            }
            let id = try await session.query(
                """
                INSERT INTO verifications (community_id, person_id, source, verified_name, birth_date, is_resident,
                                           document_type, document_hash, verified_by, verified_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp()) RETURNING id
                """, communityID, personID, source, name,
                claims.birthDate, claims.isResident, claims.documentType.rawValue, documentHash, verifiedBy
            )[0].decode("id", as: Int.self)
            try await session.query(
                """
                INSERT INTO role_grants (community_id, person_id, role) VALUES ($1, $2, 'citizen') ON CONFLICT DO NOTHING
                """, communityID, personID)
            try await AuditLog.record(
                AuditEntry(actorID: verifiedBy ?? personID, communityID: communityID, action: "verification.record",
                           objectType: "person", objectID: String(personID), summary: "\(summary) (verification \(id))", ip: ip),
                on: session)
            return standing == nil ? .recorded : .replaced
        }
        if outcome != .unchanged { await sessions.forget(personID: personID) }
        return outcome
    }

    /// Every verification of the person in the community, newest first (the standing one, then each
    /// one it replaced): who recorded each, and when, by whom and why it was replaced.
    public func history(of personID: Int, in communityID: Int) async throws -> [VerificationRecord] {
        try await database.query(
            """
            SELECT v.verified_name, v.birth_date, v.is_resident, v.source, v.verified_at, v.document_type,
                   staff.full_name AS verifier_name, v.revoked_at, revoker.full_name AS revoker_name, v.revoke_reason
            FROM verifications v
            LEFT JOIN people staff ON staff.id = v.verified_by
            LEFT JOIN people revoker ON revoker.id = v.revoked_by
            WHERE v.person_id = $1 AND v.community_id = $2
            ORDER BY v.id DESC
            """, personID, communityID
        ).map { row in
            VerificationRecord(
                identity: try Self.identity(row),
                documentType: IdentityDocumentType(rawValue: try row.decode("document_type")) ?? .electronic,
                verifierName: try row.decode("verifier_name"), replacedAt: try row.decode("revoked_at"),
                replacedByName: try row.decode("revoker_name"), replaceReason: try row.decode("revoke_reason"))
        }
    }

    /// The person's standing verification in the community, if any.
    public func identity(of personID: Int, in communityID: Int) async throws -> VerifiedIdentity? {
        try await identities(of: personID)[communityID]
    }

    /// The person's standing verifications, by community.
    public func identities(of personID: Int) async throws -> [Int: VerifiedIdentity] {
        Dictionary(uniqueKeysWithValues: try await database.query(
            """
            SELECT community_id, verified_name, birth_date, is_resident, source, verified_at FROM verifications
            WHERE person_id = $1 AND revoked_at IS NULL
            """, personID
        ).map { (try $0.decode("community_id", as: Int.self), try Self.identity($0)) })
    }

    /// The person who holds the identity document, with their standing verification in the
    /// community: how service centre staff find someone by the passport in front of them.
    public func holder(of documentType: IdentityDocumentType, number: String, in communityID: Int) async throws
        -> (personID: Int, identity: VerifiedIdentity)?
    {
        let documentHash = Data(hasher.hash(type: documentType, number: number))
        return try await database.query(
            """
            SELECT v.person_id, v.verified_name, v.birth_date, v.is_resident, v.source, v.verified_at
            FROM identity_documents d
            JOIN verifications v ON v.person_id = d.person_id AND v.community_id = $2 AND v.revoked_at IS NULL
            WHERE d.document_hash = $1
            """, documentHash, communityID
        ).first.map { (try $0.decode("person_id", as: Int.self), try Self.identity($0)) }
    }

    /// The latest verifications recorded in the community, for staff.
    public func recent(in communityID: Int, limit: Int = 20) async throws -> [(person: Person, identity: VerifiedIdentity, verifierName: String?)] {
        try await database.query(
            """
            SELECT p.id, p.email::text, p.full_name, p.locale, v.verified_name, v.birth_date, v.is_resident, v.source,
                   v.verified_at, staff.full_name AS verifier_name
            FROM verifications v JOIN people p ON p.id = v.person_id
            LEFT JOIN people staff ON staff.id = v.verified_by
            WHERE v.community_id = $1 AND v.revoked_at IS NULL
            ORDER BY v.verified_at DESC LIMIT $2
            """, communityID, limit
        ).map { row in
            (try AccountStore.person(row),
             try Self.identity(row), try row.decode("verifier_name", as: String?.self))
        }
    }

    static func identity(_ row: PostgresRow) throws -> VerifiedIdentity {
        VerifiedIdentity(
            fullName: try row.decode("verified_name"), birthDate: try row.decode("birth_date"),
            isResident: try row.decode("is_resident"), source: try row.decode("source"), verifiedAt: try row.decode("verified_at"))
    }
}

/// What recording a verification did.
public enum VerificationOutcome: Sendable, Equatable {
    /// The person had no standing verification in the community; this one stands now.
    case recorded
    /// It replaced the standing one, which stays in the history with the stated reason.
    case replaced
    /// The standing verification already said exactly this: nothing was written.
    case unchanged
}

/// One verification in a person's history, for desk staff.
public struct VerificationRecord: Sendable, Equatable {
    public var identity: VerifiedIdentity
    public var documentType: IdentityDocumentType
    /// Who recorded it at the desk; `nil` for an online provider.
    public var verifierName: String?
    /// When it stopped standing; `nil` while it stands.
    public var replacedAt: Date?
    public var replacedByName: String?
    public var replaceReason: String?
}
