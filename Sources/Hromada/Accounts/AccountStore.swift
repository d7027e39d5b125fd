import Foundation
import NIOPosix
import Postgres

/// People and their role grants in PostgreSQL.
public struct AccountStore: Sendable {
    let database: PostgresPool
    let hasher: PasswordHasher
    /// scrypt is slow on purpose; it runs here, off the event loops and the cooperative pool.
    let hashingThreads: NIOThreadPool
    /// A valid hash of a random password, checked when the e-mail is unknown.
    let decoyHash: String
    let sessions: SessionStore

    init(database: PostgresPool, hasher: PasswordHasher, hashingThreads: NIOThreadPool, sessions: SessionStore) {
        self.database = database
        self.sessions = sessions
        self.hasher = hasher
        self.hashingThreads = hashingThreads
        self.decoyHash = hasher.hash(Crypto.randomToken())
    }

    public func hashPassword(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await hashingThreads.runIfActive { hasher.hash(password) }
    }

    /// Creates an account, optionally as a citizen of a community. A taken e-mail address is a
    /// validation error on the `email` field.
    ///
    /// With `confirmationLinks` (the public sign-up form) the address is not confirmed yet and a
    /// confirmation link is mailed in the same transaction; without it (an operator's
    /// `create-user`, tools) the account counts as confirmed.
    public func signUp(
        email: String, fullName: String, password: String, language: Language, citizenOf communityID: Int?, ip: String?,
        confirmationLinks: AccountTokenStore? = nil
    ) async throws -> Person {
        let email = AccountRules.normalizedEmail(email)
        let fullName = fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        let errors = AccountRules.signUpErrors(email: email, fullName: fullName, password: password)
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        let passwordHash = try await hashPassword(password)
        do {
            return try await database.transaction { session in
                let id = try await session.query(
                    """
                    INSERT INTO people (email, password_hash, full_name, locale, email_confirmed_at)
                    VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END) RETURNING id
                    """, email, passwordHash, fullName, language.rawValue, confirmationLinks == nil)[0].decode("id", as: Int.self)
                if let confirmationLinks {
                    try await confirmationLinks.issue(
                        .confirmEmail, to: Outbox.Recipient(personID: id, email: email, language: language), personID: id, on: session)
                }
                if let communityID {
                    try await session.query(
                        "INSERT INTO role_grants (community_id, person_id, role) VALUES ($1, $2, 'citizen')", communityID, id)
                }
                try await AuditLog.record(
                    AuditEntry(actorID: id, communityID: communityID, action: "account.create", objectType: "person",
                               objectID: String(id), summary: "signed up", ip: ip), on: session)
                return Person(id: id, email: email, fullName: fullName, language: language)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw AppError(.validation, fieldErrors: ["email": "signup.error.email_taken"])
        }
    }

    /// The person whose e-mail and password match, or `nil`. Takes as long for an unknown address
    /// as for a wrong password, so timing does not reveal who has an account.
    public func authenticate(email: String, password: String) async throws -> Person? {
        let rows = try await database.query(
            "SELECT id, email::text, full_name, locale, password_hash FROM people WHERE email = $1",
            AccountRules.normalizedEmail(email))
        let stored = try rows.first?.decode("password_hash", as: String.self) ?? decoyHash
        let hasher = self.hasher
        let matches = try await hashingThreads.runIfActive { hasher.verify(password, against: stored) }
        guard matches, let row = rows.first else { return nil }
        return try Self.person(row)
    }

    public func person(email: String) async throws -> Person? {
        try await database.query(
            "SELECT id, email::text, full_name, locale FROM people WHERE email = $1", AccountRules.normalizedEmail(email)
        ).first.map(Self.person)
    }

    /// The person with their role grants, as if signed in (for the demo loader and tools).
    public func viewer(email: String) async throws -> Viewer? {
        guard let row = try await database.query(
            "SELECT id, email::text, full_name, locale, email_confirmed_at IS NOT NULL AS confirmed FROM people WHERE email = $1",
            AccountRules.normalizedEmail(email)).first
        else { return nil }
        let person = try Self.person(row)
        let grants = try await database.query(
            """
            SELECT g.id, g.community_id, g.role, g.department_id, coalesce(d.is_service_centre, false) AS at_service_centre
            FROM role_grants g LEFT JOIN departments d ON d.id = g.department_id
            WHERE g.person_id = $1 ORDER BY g.id
            """, person.id
        ).compactMap { row -> RoleGrant? in
            guard let role = Role(rawValue: try row.decode("role")) else { return nil }
            return RoleGrant(id: try row.decode("id"), communityID: try row.decode("community_id"), role: role,
                             departmentID: try row.decode("department_id"), atServiceCentre: try row.decode("at_service_centre"))
        }
        return Viewer(person: person, grants: grants, sessionTokenHash: [], emailConfirmed: try row.decode("confirmed"))
    }

    /// One page of a community's members with their grants: staff first, then residents, each in
    /// Ukrainian alphabetical order (А before І), those whose name or e-mail contains `search` when
    /// it is not empty. `total` counts every matching member.
    public func members(
        of communityID: Int, matching search: String, page: Int, perPage: Int
    ) async throws -> (members: [(person: Person, grants: [RoleGrant])], total: Int) {
        let pattern = "%" + search.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        let rows = try await database.query(
            """
            WITH matching AS (
                SELECT p.id, p.email::text AS email, p.full_name, p.locale, bool_or(g.role <> 'citizen') AS staff
                FROM role_grants g JOIN people p ON p.id = g.person_id
                WHERE g.community_id = $1 AND (p.full_name ILIKE $2 OR p.email::text ILIKE $2)
                GROUP BY p.id
            ), shown AS (
                SELECT * FROM matching ORDER BY staff DESC, full_name COLLATE "uk-UA-x-icu", id LIMIT $3 OFFSET $4
            )
            SELECT s.id, s.email, s.full_name, s.locale, g.id AS grant_id, g.role, g.department_id,
                   coalesce(d.is_service_centre, false) AS at_service_centre, (SELECT count(*) FROM matching)::int AS total
            FROM shown s JOIN role_grants g ON g.person_id = s.id AND g.community_id = $1
            LEFT JOIN departments d ON d.id = g.department_id
            ORDER BY s.staff DESC, s.full_name COLLATE "uk-UA-x-icu", s.id, g.id
            """, communityID, pattern, perPage, (page - 1) * perPage)
        var members: [(person: Person, grants: [RoleGrant])] = []
        for row in rows {
            let person = try Self.person(row)
            let grant = RoleGrant(
                id: try row.decode("grant_id"), communityID: communityID,
                role: Role(rawValue: try row.decode("role")) ?? .citizen, departmentID: try row.decode("department_id"),
                atServiceCentre: try row.decode("at_service_centre"))
            if members.last?.person.id == person.id {
                members[members.count - 1].grants.append(grant)
            } else {
                members.append((person, [grant]))
            }
        }
        return (members, try rows.first?.decode("total") ?? 0)
    }

    /// Grants a role; granting one the person already holds changes nothing.
    public func grant(
        _ role: Role, departmentID: Int?, to personID: Int, in communityID: Int, by actorID: Int?, ip: String?
    ) async throws {
        guard role.needsDepartment == (departmentID != nil) else {
            throw AppError(.validation, fieldErrors: ["department": "admin.error.department_needed"])
        }
        do {
            try await database.transaction { session in
                let inserted = try await session.query(
                    """
                    INSERT INTO role_grants (community_id, person_id, role, department_id, granted_by)
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id
                    """, communityID, personID, role.rawValue, departmentID, actorID)
                guard let id = try inserted.first?.decode("id", as: Int.self) else { return }
                try await AuditLog.record(
                    AuditEntry(actorID: actorID, communityID: communityID, action: "role.grant", objectType: "person",
                               objectID: String(personID), summary: "granted \(role.rawValue) (grant \(id))", ip: ip),
                    on: session)
            }
        } catch let error as PostgresError where error.sqlState == SQLState.foreignKeyViolation {
            throw AppError(.validation, fieldErrors: ["department": "admin.error.department_unknown"])
        }
        await sessions.forget(personID: personID)
    }

    /// Revokes a grant of this community. An administrator cannot revoke their own administrator
    /// role, so a community is never left without one by accident.
    public func revoke(grantID: Int, in communityID: Int, by actorID: Int, ip: String?) async throws {
        let personID = try await database.transaction { session in
            let rows = try await session.query(
                "SELECT person_id, role FROM role_grants WHERE id = $1 AND community_id = $2 FOR UPDATE", grantID, communityID)
            guard let row = rows.first else { throw AppError.notFound }
            let personID: Int = try row.decode("person_id")
            let role: String = try row.decode("role")
            if personID == actorID && role == Role.administrator.rawValue {
                throw AppError(.conflict, detailKey: "admin.error.own_admin_role")
            }
            try await session.query("DELETE FROM role_grants WHERE id = $1", grantID)
            try await AuditLog.record(
                AuditEntry(actorID: actorID, communityID: communityID, action: "role.revoke", objectType: "person",
                           objectID: String(personID), summary: "revoked \(role) (grant \(grantID))", ip: ip),
                on: session)
            return personID
        }
        await sessions.forget(personID: personID)
    }

    /// Marks a department of the community as (a branch of) its administrative service centre, or
    /// unmarks it: its officials and head gain or lose the centre's desks at once. Setting what is
    /// already set changes nothing and records nothing; another community's department is not found.
    public func markServiceCentre(
        _ isServiceCentre: Bool, departmentID: Int, in communityID: Int, by actorID: Int, ip: String?
    ) async throws {
        let staff = try await database.transaction { session -> [Int] in
            let rows = try await session.query(
                "SELECT is_service_centre FROM departments WHERE id = $1 AND community_id = $2 FOR NO KEY UPDATE",
                departmentID, communityID)
            guard let row = rows.first else { throw AppError.notFound }
            guard try row.decode("is_service_centre", as: Bool.self) != isServiceCentre else { return [] }
            try await session.query("UPDATE departments SET is_service_centre = $2 WHERE id = $1", departmentID, isServiceCentre)
            try await AuditLog.record(
                AuditEntry(actorID: actorID, communityID: communityID, action: "department.service_centre",
                           objectType: "department", objectID: String(departmentID),
                           summary: isServiceCentre ? "marked as the administrative service centre" : "no longer the administrative service centre",
                           ip: ip),
                on: session)
            return try await session.query("SELECT DISTINCT person_id FROM role_grants WHERE department_id = $1", departmentID)
                .map { try $0.decode("person_id") }
        }
        for personID in staff { await sessions.forget(personID: personID) }
    }

    static func person(_ row: PostgresRow) throws -> Person {
        Person(
            id: try row.decode("id"), email: try row.decode("email"), fullName: try row.decode("full_name"),
            language: Language(rawValue: try row.decode("locale")) ?? .default)
    }
}
