import Foundation
import Postgres

/// The public lists of petitions.
public enum PetitionList: String, Sendable, CaseIterable {
    case collecting
    case consideration
    case answered
    /// Rejected, or ended short of the threshold.
    case archive

    var statuses: [String] {
        switch self {
        case .collecting: ["collecting"]
        case .consideration: ["consideration"]
        case .answered: ["answered"]
        case .archive: ["rejected", "not_enough"]
        }
    }

    public var titleKey: String { "petition.list.\(rawValue)" }
}

public enum PetitionSort: String, Sendable, CaseIterable {
    case signatures
    case newest
    case endingSoon = "ending_soon"

    var orderBy: String {
        switch self {
        case .signatures: "signatures DESC, p.id DESC"
        case .newest: "p.created_at DESC, p.id DESC"
        case .endingSoon: "p.collection_ends_on NULLS LAST, p.id"
        }
    }

    public var titleKey: String { "petition.sort.\(rawValue)" }
}

/// A public signature, as the law requires it be listed: the signer's name and the date.
public struct PetitionSigner: Sendable {
    public var name: String
    public var signedAt: Date
}

extension PetitionStore {
    public static let pageSize = 20

    /// A page of a public list, optionally filtered by full-text search.
    public func list(_ list: PetitionList, sort: PetitionSort, search: String, communityID: Int, page: Int) async throws -> (petitions: [Petition], total: Int) {
        let query = search.trimmingCharacters(in: .whitespacesAndNewlines)
        let condition = "p.community_id = $1 AND p.status = ANY($2) AND ($3 = '' OR p.search @@ plainto_tsquery('simple', $3))"
        let petitions = try await replica.query(
            "SELECT * FROM (\(Self.select) WHERE \(condition)) p ORDER BY \(sort.orderBy) LIMIT $4 OFFSET $5",
            communityID, list.statuses, query, Self.pageSize, max(0, page - 1) * Self.pageSize
        ).map(Self.petition)
        let total = try await replica.query(
            "SELECT count(*) AS n FROM petitions p WHERE \(condition)", communityID, list.statuses, query)[0].decode("n", as: Int.self)
        return (petitions, total)
    }

    /// Valid signatures in signing order, a page at a time; names from the verified identity.
    public func signers(of id: Int, page: Int) async throws -> (signers: [PetitionSigner], total: Int) {
        let signers = try await replica.query(
            """
            SELECT coalesce(v.verified_name, p.full_name) AS name, s.signed_at
            FROM petition_signatures s
            JOIN petitions pt ON pt.id = s.petition_id
            JOIN people p ON p.id = s.person_id
            LEFT JOIN verifications v ON v.person_id = s.person_id AND v.community_id = pt.community_id AND v.revoked_at IS NULL
            WHERE s.petition_id = $1 AND s.invalidated_at IS NULL
            ORDER BY s.signed_at, s.id LIMIT $2 OFFSET $3
            """, id, Self.signersPerPage, max(0, page - 1) * Self.signersPerPage
        ).map { PetitionSigner(name: try $0.decode("name"), signedAt: try $0.decode("signed_at")) }
        return (signers, try await Self.signatureCount(id, in: replica))
    }

    /// Whether the person has a valid signature on the petition.
    public func hasSigned(_ id: Int, personID: Int) async throws -> Bool {
        try await !database.query(
            "SELECT 1 FROM petition_signatures WHERE petition_id = $1 AND person_id = $2 AND invalidated_at IS NULL", id, personID
        ).isEmpty
    }

    /// The petition's status changes, oldest first.
    public func events(of id: Int) async throws -> [(at: Date, status: PetitionStatus, comment: String)] {
        try await database.query("SELECT at, to_status, comment FROM petition_events WHERE petition_id = $1 ORDER BY id", id).map {
            (try $0.decode("at"), PetitionStatus(rawValue: try $0.decode("to_status")) ?? .moderation, try $0.decode("comment"))
        }
    }
}

extension PetitionStore {
    /// Every valid signature of the community's public petitions, by petition and signing order,
    /// for open data: `petition_id`, `name` (from the verified identity) and `signed_at`.
    static func signersExport(communityID: Int) -> PostgresStatement {
        PostgresStatement(
            """
            SELECT s.petition_id, coalesce(v.verified_name, p.full_name) AS name, s.signed_at
            FROM petition_signatures s
            JOIN petitions pt ON pt.id = s.petition_id
            JOIN people p ON p.id = s.person_id
            LEFT JOIN verifications v ON v.person_id = s.person_id AND v.community_id = pt.community_id AND v.revoked_at IS NULL
            WHERE pt.community_id = $1 AND pt.status <> 'moderation' AND s.invalidated_at IS NULL
            ORDER BY s.petition_id, s.signed_at, s.id
            """, communityID)
    }

    /// Every public petition of the community by id, with the columns ``petition(_:)`` reads.
    static func publicPetitionsExport(communityID: Int) -> PostgresStatement {
        PostgresStatement(
            select + " WHERE p.community_id = $1 AND p.status = ANY($2) ORDER BY p.id",
            communityID, PetitionList.allCases.flatMap(\.statuses))
    }

    /// A `version` that changes whenever the community's petition or signature open data would:
    /// a petition added or moved on (every status change is an event), a signature given or
    /// invalidated (the counts), a signer's identity verified anew. Index look-ups only.
    static func openDataVersion(communityID: Int) -> PostgresStatement {
        PostgresStatement(
            """
            SELECT concat_ws('.', (SELECT count(*) FROM petitions WHERE community_id = $1),
                   (SELECT max(id) FROM petition_events), (SELECT max(id) FROM petition_signatures),
                   (SELECT coalesce(sum(c.signatures), 0) FROM petition_signature_counts c JOIN petitions p ON p.id = c.petition_id
                    WHERE p.community_id = $1),
                   (SELECT max(id) FROM verifications)) AS version
            """, communityID)
    }
}
