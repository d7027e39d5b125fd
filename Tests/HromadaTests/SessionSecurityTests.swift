import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import Testing

@testable import Hromada

/// CSRF on every form, session fixation, and the cookies' flags.
@Suite struct SessionSecurityTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "session_security") }

    /// Rows in every table but those a refused request may touch (the session's last use, rate-limit windows).
    static func rowCounts(_ services: AppServices) async throws -> [String: Int] {
        let tables = try await services.database.query(
            """
            SELECT table_name::text AS name FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('sessions', 'rate_limit_windows')
            ORDER BY table_name
            """).map { try $0.decode("name", as: String.self) }
        let counts = tables.map { "SELECT '\($0)' AS name, count(*)::int AS n FROM \"\($0)\"" }.joined(separator: " UNION ALL ")
        return Dictionary(uniqueKeysWithValues: try await services.database.query(counts).map { (try $0.decode("name"), try $0.decode("n")) })
    }

    /// Every form POST of the router, from the signed-in administrator, is refused with 403 without
    /// a token and with another session's token, and changes nothing. A route added later is
    /// covered without being listed.
    @Test func everyFormNeedsItsOwnSessionsToken() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let samples = try await RouteSamples(services, community: community)
        let router = buildRouter(services: services)
        // The JSON API authenticates by bearer token and Open311 by API key: no cookies, so no CSRF.
        let forms = router.routes.filter { $0.method == .post }.map(\.path.description)
            .filter { !$0.hasPrefix("/api/") && !$0.hasPrefix("/open311/") }
        #expect(forms.count > 40, "the router's form routes: \(forms.count)")
        let before = try await Self.rowCounts(services)
        try await TestApp.withBrowser(services) { moderator in
            try await moderator.signIn("moderator@khmelnytskyi.demo")
            try await moderator.get("/khmelnytskyi/moderation")
            let foreignToken = try #require(moderator.lastCSRF)
            try await TestApp.withBrowser(services) { admin in
                try await admin.signIn("admin@khmelnytskyi.demo")
                try await admin.get("/khmelnytskyi/admin")
                for path in forms {
                    let uri = samples.uri(path)
                    let missing = try await admin.post(uri, form: ["text": "x", "reason": "x"], csrf: .none)
                    #expect(missing.status == .forbidden, "POST \(uri) without a token: \(missing.status)")
                    let foreign = try await admin.post(uri, form: ["text": "x", "reason": "x"], csrf: .value(foreignToken))
                    #expect(foreign.status == .forbidden, "POST \(uri) with another session's token: \(foreign.status)")
                }
                // Still signed in: the refusals did not end the session either.
                #expect(try await admin.get("/khmelnytskyi/admin").status == .ok)
            }
        }
        #expect(try await Self.rowCounts(services) == before)
    }

    /// An anonymous visitor is told to sign in (401, with the way to the sign-in form).
    static func isAnonymous(_ page: Browser.Page) -> Bool { page.status == .unauthorized && page.body.contains("/signin?next=") }

    /// A session cookie planted before sign-in is never adopted: signing in issues a new one, and
    /// the planted value stays anonymous. After sign-out the old cookie is worth nothing.
    @Test func signingInStartsAFreshSession() async throws {
        let services = try await services()
        let planted = "planted-by-an-attacker-0123456789abcdef"
        try await TestApp.withBrowser(services) { browser in
            browser.setCookie(SessionMiddleware.sessionCookie, planted)
            #expect(Self.isAnonymous(try await browser.get("/account")), "a planted cookie is no session")
            #expect(try await browser.signIn("citizen@khmelnytskyi.demo").status == .seeOther)
            let issued = try #require(browser.cookies[SessionMiddleware.sessionCookie])
            #expect(issued != planted)
            #expect(try await browser.get("/account").status == .ok)

            #expect(try await browser.post("/signout", form: [:]).status == .seeOther)
            try await TestApp.withBrowser(services) { replay in
                replay.setCookie(SessionMiddleware.sessionCookie, issued)
                let page = try await replay.get("/account")
                #expect(Self.isAnonymous(page), "a signed-out session cookie replayed")
            }
        }
    }

    /// Served at an https address, every cookie is Secure, HttpOnly and SameSite=Lax, and pages
    /// carry HSTS.
    @Test func cookiesAreSecureOverHTTPS() async throws {
        let plain = try await services()
        var configuration = plain.configuration
        configuration.publicURL = "https://hromada.example.ua"
        let services = try await AppServices(configuration: configuration, database: plain.database, logger: plain.logger)
        try await TestApp.withBrowser(services) { browser in
            let signIn = try await browser.get("/signin")
            #expect(signIn.headers[HTTPField.Name("Strict-Transport-Security")!]?.contains("max-age=") == true)
            let signedIn = try await browser.post("/signin", form: ["email": "citizen@khmelnytskyi.demo", "password": DemoData.password])
            let cookies = signIn.headers[values: .setCookie] + signedIn.headers[values: .setCookie]
            #expect(cookies.contains { $0.hasPrefix("\(SessionMiddleware.sessionCookie)=") }, "signing in set the session cookie")
            for cookie in cookies {
                #expect(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "\(cookie)")
            }
        }
    }
}

/// Sessions cached by several processes, on a database of their own: the row counts above must
/// not see these tests' writes.
@Suite struct SessionChangesTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "session_changes") }

    /// Another process (a second set of services on the same database) drops its cached session
    /// as soon as it is signed out here, and sees a role granted here at once, not after the cache's
    /// minute.
    @Test func signOutAndRoleChangesReachOtherProcesses() async throws {
        let services = try await services()
        let other = try await AppServices(configuration: services.configuration, database: services.database, logger: services.logger)
        let following = Task { await other.sessions.followChanges(PostgresListener(configuration: services.database.configuration)) }
        defer { following.cancel() }
        /// Whether `condition` comes true within five seconds, asked every 50 ms.
        func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
            for _ in 0..<100 {
                if try await condition() { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        // The listening connection is ready once its LISTEN has run.
        try #require(try await eventually {
            try await services.database.query(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%hromada_session_changes%'"
            )[0].decode("n", as: Int.self) > 0
        })
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let person = try await Fixtures.residents(1, services)[0].person
        let (token, _) = try await services.sessions.create(personID: person.id, kind: .api, ip: nil, userAgent: nil)
        func otherIsModerator() async throws -> Bool? {
            try await other.sessions.viewer(forToken: token).map { $0.viewer.grants.contains { $0.role == .moderator } }
        }

        #expect(try await otherIsModerator() == false)
        try await services.accounts.grant(.moderator, departmentID: nil, to: person.id, in: community.id, by: nil, ip: nil)
        #expect(try await eventually { try await otherIsModerator() == true })
        try await services.sessions.delete(tokenHash: SessionStore.hash(token))
        #expect(try await eventually { try await otherIsModerator() == nil })
    }
}
