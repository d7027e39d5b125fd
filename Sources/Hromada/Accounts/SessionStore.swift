import Foundation
import NIOConcurrencyHelpers
import Postgres

/// Sign-in sessions. The token goes to the client; only its SHA-256 is stored.
///
/// Each process keeps the sessions it looked up for a minute, sparing the database one query on
/// every request of a busy client. Signing out and a change of roles are announced through the
/// database (`NOTIFY`), so every process that follows the announcements drops what it cached at
/// once; one missed while its listening connection was down shows within ``cacheSeconds``.
public struct SessionStore: Sendable {
    public enum Kind: String, Sendable {
        case browser
        case api
    }

    let database: PostgresPool
    private let cache = NIOLockedValueBox(Cache())

    private struct Cache {
        typealias Entry = (viewer: Viewer, kind: Kind, expires: Date)
        var entries: [[UInt8]: Entry] = [:]
        /// Raised by every sign-out and role change: a look-up that started before one must not
        /// put what it read into the cache, since it may have read the session as it was.
        var generation = 0
        /// The size at which expired entries are swept out next: twice what was left after the
        /// last sweep, so sweeping costs a constant per insert however many clients are active,
        /// and a day of distinct visitors does not pile up.
        var sweepAt = Cache.smallestSweep
        static let smallestSweep = 1_000

        mutating func insert(_ entry: Entry, for tokenHash: [UInt8], now: Date) {
            if entries.count >= sweepAt {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= SessionStore.cacheLimit { entries.removeAll(keepingCapacity: true) }
                sweepAt = max(Self.smallestSweep, 2 * entries.count)
            }
            entries[tokenHash] = entry
        }
    }
    static let cacheSeconds: TimeInterval = 60
    /// Where sign-outs and changes of roles are announced to every process.
    static let changesChannel = "hromada_session_changes"
    static let cacheLimit = 100_000

    /// Look-ups of sessions not in the cache, grouped when they arrive together.
    private let lookups: RequestCoalescer<[UInt8], (viewer: Viewer, kind: Kind)?>

    init(database: PostgresPool) {
        self.database = database
        self.lookups = RequestCoalescer(missing: { _ in AppError.notFound }) { tokenHashes in
            try await Self.load(tokenHashes, database: database)
        }
    }
    public static let browserLifetimeSeconds = 30 * 24 * 3600
    public static let apiLifetimeSeconds = 90 * 24 * 3600

    /// Opens a session and returns its token.
    public func create(personID: Int, kind: Kind, ip: String?, userAgent: String?) async throws -> (token: String, expiresAt: Date) {
        let token = Crypto.randomToken()
        let lifetime = kind == .browser ? Self.browserLifetimeSeconds : Self.apiLifetimeSeconds
        let expiresAt = try await database.query(
            """
            INSERT INTO sessions (token_hash, person_id, kind, expires_at, ip, user_agent)
            VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5::inet, $6)
            RETURNING expires_at
            """, Data(Self.hash(token)), personID, kind.rawValue, lifetime, ip, userAgent.map { String($0.prefix(300)) }
        )[0].decode("expires_at", as: Date.self)
        return (token, expiresAt)
    }

    /// The person and grants behind a token, if the session is open.
    public func viewer(forToken token: String) async throws -> (viewer: Viewer, kind: Kind)? {
        let tokenHash = Self.hash(token)
        let now = Date()
        let (cached, generation) = cache.withLockedValue { ($0.entries[tokenHash], $0.generation) }
        if let cached, cached.expires > now { return (cached.viewer, cached.kind) }
        guard let found = try await lookups.answer(tokenHash) else { return nil }
        cache.withLockedValue { cache in
            guard cache.generation == generation else { return }
            cache.insert((found.viewer, found.kind, now.addingTimeInterval(Self.cacheSeconds)), for: tokenHash, now: now)
        }
        return found
    }

    /// Open sessions among `tokenHashes`, with each person and their grants, in one query.
    private static func load(_ tokenHashes: [[UInt8]], database: PostgresPool) async throws -> [[UInt8]: (viewer: Viewer, kind: Kind)?] {
        let rows = try await database.query(
            """
            SELECT s.token_hash, p.id, p.email::text, p.full_name, p.locale, s.kind, p.email_confirmed_at IS NOT NULL AS email_confirmed,
                   coalesce(array_agg(g.id ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{}') AS grant_ids,
                   coalesce(array_agg(g.community_id ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{}') AS grant_communities,
                   coalesce(array_agg(g.role ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{}') AS grant_roles,
                   coalesce(array_agg(g.department_id ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{}') AS grant_departments,
                   coalesce(array_agg(coalesce(d.is_service_centre, false) ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{}')
                       AS grant_service_centres
            FROM sessions s
            JOIN people p ON p.id = s.person_id
            LEFT JOIN role_grants g ON g.person_id = p.id
            LEFT JOIN departments d ON d.id = g.department_id
            WHERE s.token_hash = ANY($1) AND s.expires_at > now()
            GROUP BY s.token_hash, p.id, s.kind
            """, parameters: [tokenHashes.map { Data($0) }], planning: .generic)
        var found: [[UInt8]: (viewer: Viewer, kind: Kind)?] = Dictionary(uniqueKeysWithValues: tokenHashes.map { ($0, nil) })
        for row in rows {
            let tokenHash = Array(try row.decode("token_hash", as: Data.self))
            let ids: [Int] = try row.decode("grant_ids")
            let communities: [Int] = try row.decode("grant_communities")
            let roles: [String] = try row.decode("grant_roles")
            let departments: [Int?] = try row.decode("grant_departments")
            let serviceCentres: [Bool] = try row.decode("grant_service_centres")
            var grants: [RoleGrant] = []
            for index in ids.indices {
                guard let role = Role(rawValue: roles[index]) else { continue }
                grants.append(RoleGrant(id: ids[index], communityID: communities[index], role: role, departmentID: departments[index],
                                        atServiceCentre: serviceCentres[index]))
            }
            let person = Person(
                id: try row.decode("id"), email: try row.decode("email"), fullName: try row.decode("full_name"),
                language: Language(rawValue: try row.decode("locale")) ?? .default)
            found[tokenHash] = (Viewer(person: person, grants: grants, sessionTokenHash: tokenHash,
                                       emailConfirmed: try row.decode("email_confirmed")),
                                Kind(rawValue: try row.decode("kind")) ?? .browser)
        }
        return found
    }

    /// Drops the person's cached sessions in this process and in every other, so a change of their
    /// roles, already committed, shows at once.
    public func forget(personID: Int) async {
        evict { $0.viewer.person.id == personID }
        // Should the announcement fail, the other processes' entries still expire within cacheSeconds.
        _ = try? await database.query("SELECT pg_notify($1, $2)", Self.changesChannel, "person:\(personID)")
    }

    /// Ends the session whose token hashes to `tokenHash`, here and in every other process.
    public func delete(tokenHash: [UInt8]) async throws {
        try await database.query(
            "WITH ended AS (DELETE FROM sessions WHERE token_hash = $1 RETURNING 1) SELECT pg_notify($2, $3) FROM ended",
            Data(tokenHash), Self.changesChannel, "token:" + Crypto.hex(tokenHash))
        // After the delete commits, so no look-up can cache the session again.
        evict(tokenHash: tokenHash)
    }

    /// Drops what other processes announce, until the task is cancelled.
    public func followChanges(_ listener: PostgresListener) async {
        for await notification in listener.notifications(on: [Self.changesChannel]) {
            let parts = notification.payload.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            if parts[0] == "person", let personID = Int(parts[1]) {
                evict { $0.viewer.person.id == personID }
            } else if parts[0] == "token", let tokenHash = Data(hex: parts[1]) {
                evict(tokenHash: Array(tokenHash))
            }
        }
    }

    private func evict(tokenHash: [UInt8]) {
        cache.withLockedValue { cache in
            cache.generation += 1
            cache.entries[tokenHash] = nil
        }
    }

    private func evict(where matches: (Cache.Entry) -> Bool) {
        cache.withLockedValue { cache in
            cache.generation += 1
            cache.entries = cache.entries.filter { !matches($0.value) }
        }
    }

    /// Deletes expired sessions.
    static func prune(on session: PostgresSession) async throws {
        try await session.query("DELETE FROM sessions WHERE expires_at < now()")
    }

    static func hash(_ token: String) -> [UInt8] { Crypto.sha256(Array(token.utf8)) }
}
