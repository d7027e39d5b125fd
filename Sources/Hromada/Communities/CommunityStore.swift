import Foundation
import Postgres

/// Communities, their departments and holiday calendars in PostgreSQL.
public struct CommunityStore: Sendable {
    let database: PostgresPool
    /// Every request names its community; a few seconds' cache spares the database that lookup.
    /// A changed name or setting shows everywhere within ten seconds.
    private let cache = ExpiringCache<String, Community>(lifetime: .seconds(10), capacity: 1_000)

    init(database: PostgresPool) {
        self.database = database
    }

    public func all() async throws -> [Community] {
        try await database.query("SELECT id, slug::text, name_uk, name_en, settings FROM communities ORDER BY name_uk")
            .map(Self.community)
    }

    /// The community with this slug, or a not-found error.
    public func require(slug: String) async throws -> Community {
        try await cache.value(for: slug) { [self] in try await load(slug: slug) }
    }

    private func load(slug: String) async throws -> Community {
        let rows = try await database.query(
            "SELECT id, slug::text, name_uk, name_en, settings FROM communities WHERE slug = $1", slug)
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.community(row)
    }

    public func departments(of communityID: Int) async throws -> [Department] {
        try await database.query(
            """
            SELECT id, community_id, slug::text, name_uk, name_en, is_service_centre FROM departments
            WHERE community_id = $1 ORDER BY name_uk
            """, communityID
        ).map { row in
            Department(
                id: try row.decode("id"), communityID: try row.decode("community_id"), slug: try row.decode("slug"),
                nameUK: try row.decode("name_uk"), nameEN: try row.decode("name_en"),
                isServiceCentre: try row.decode("is_service_centre"))
        }
    }

    public func holidays(of communityID: Int) async throws -> [CalendarDay] {
        try await database.query("SELECT day FROM holidays WHERE community_id = $1 ORDER BY day", communityID)
            .map { try $0.decode("day") }
    }

    /// Creates a community; the slug must pass ``Community/isValidSlug(_:)``.
    public func create(
        slug: String, nameUK: String, nameEN: String, settings: CommunitySettings = CommunitySettings(),
        on session: PostgresSession
    ) async throws -> Community {
        guard Community.isValidSlug(slug) else { throw AppError(.validation, detailKey: "community.slug_invalid") }
        let row = try await session.query(
            """
            INSERT INTO communities (slug, name_uk, name_en, settings) VALUES ($1, $2, $3, $4)
            RETURNING id, slug::text, name_uk, name_en, settings
            """, slug, nameUK, nameEN, try PostgresJSON(encoding: settings, encoder: JSONResponse.encoder))[0]
        return try Self.community(row)
    }

    /// Adds a department; `isServiceCentre` marks it as (a branch of) the administrative service centre.
    public func addDepartment(
        to communityID: Int, slug: String, nameUK: String, nameEN: String, isServiceCentre: Bool = false,
        on session: PostgresSession
    ) async throws -> Department {
        let id = try await session.query(
            """
            INSERT INTO departments (community_id, slug, name_uk, name_en, is_service_centre) VALUES ($1, $2, $3, $4, $5)
            RETURNING id
            """, communityID, slug, nameUK, nameEN, isServiceCentre)[0].decode("id", as: Int.self)
        return Department(id: id, communityID: communityID, slug: slug, nameUK: nameUK, nameEN: nameEN, isServiceCentre: isServiceCentre)
    }

    /// Every community's slug by id, for jobs that build links for documents of many communities.
    static func slugs(on session: PostgresSession) async throws -> [Int: String] {
        Dictionary(uniqueKeysWithValues: try await session.query("SELECT id, slug::text FROM communities").map {
            (try $0.decode("id", as: Int.self), try $0.decode("slug", as: String.self))
        })
    }

    static func community(_ row: PostgresRow) throws -> Community {
        Community(
            id: try row.decode("id"), slug: try row.decode("slug"), nameUK: try row.decode("name_uk"),
            nameEN: try row.decode("name_en"),
            settings: try row.decode("settings", as: PostgresJSON.self).decode(CommunitySettings.self, decoder: JSONResponse.decoder))
    }
}
