import Foundation
import Postgres

/// Identity verifications in PostgreSQL. Modules ask ``identity(of:in:)``: is this person
/// verified here, how old are they, are they a resident?
public struct VerificationStore: Sendable {
    let database: PostgresPool
    let hasher: IdentityDocumentHasher
    let sessions: SessionStore

    /// Records a verification, replacing the person's earlier one in this community. A document
    /// already used by another account is refused (409), and nothing is written.
    public func record(
        _ claims: IdentityClaims, source: String, personID: Int, communityID: Int, verifiedBy: Int?, ip: String?
    ) async throws {
        let documentHash = Data(hasher.hash(type: claims.documentType, number: claims.documentNumber))
        try await database.transaction { session in
            try await session.query(
                "INSERT INTO identity_documents (document_hash, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                documentHash, personID)
            let owner = try await session.query(
                "SELECT person_id FROM identity_documents WHERE document_hash = $1", documentHash)[0]
                .decode("person_id", as: Int.self)
            guard owner == personID else { throw AppError(.conflict, detailKey: "verify.error.document_used") }
            try await session.query(
                """
                UPDATE verifications SET revoked_at = now(), revoked_by = $3, revoke_reason = 'replaced'
                WHERE community_id = $1 AND person_id = $2 AND revoked_at IS NULL
                """, communityID, personID, verifiedBy ?? personID)
            let id = try await session.query(
                """
                INSERT INTO verifications (community_id, person_id, source, verified_name, birth_date, is_resident,
                                           document_type, document_hash, verified_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
                """, communityID, personID, source, claims.fullName.trimmingCharacters(in: .whitespacesAndNewlines),
                claims.birthDate, claims.isResident, claims.documentType.rawValue, documentHash, verifiedBy
            )[0].decode("id", as: Int.self)
            try await session.query(
                """
                INSERT INTO role_grants (community_id, person_id, role) VALUES ($1, $2, 'citizen') ON CONFLICT DO NOTHING
                """, communityID, personID)
            try await AuditLog.record(
                AuditEntry(actorID: verifiedBy ?? personID, communityID: communityID, action: "verification.record",
                           objectType: "person", objectID: String(personID),
                           summary: "verified via \(source) with \(claims.documentType.rawValue) (verification \(id))", ip: ip),
                on: session)
        }
        await sessions.forget(personID: personID)
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
