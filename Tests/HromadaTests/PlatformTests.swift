import Foundation
import Hromada
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import TestSupport
import Testing

@Suite struct AuditLogTests {
    @Test func entriesCannotBeChangedOrRemoved() async throws {
        let services = try await TestApp.services(suite: "audit")
        let database = services.database
        try await database.transaction { session in
            try await AuditLog.record(AuditEntry(actorID: nil, communityID: nil, action: "test.entry", summary: "kept"), on: session)
        }
        for statement in ["UPDATE audit_log SET summary = 'changed'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
            let error = await #expect(throws: PostgresError.self) { try await database.query(statement) }
            #expect(error?.sqlState == SQLState.insufficientPrivilege, "\(statement)")
        }
        let kept = try await database.query("SELECT count(*) AS n FROM audit_log WHERE action = 'test.entry' AND summary = 'kept'")
        #expect(try kept[0].decode("n", as: Int.self) == 1)
    }

    @Test func anEntryIsWrittenWithItsChangeOrNotAtAll() async throws {
        let services = try await TestApp.services(suite: "audit")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await services.database.transaction { session in
                try await AuditLog.record(AuditEntry(actorID: nil, communityID: nil, action: "test.rolled_back"), on: session)
                throw Abort()
            }
        }
        let count = try await services.database.query("SELECT count(*) AS n FROM audit_log WHERE action = 'test.rolled_back'")
        #expect(try count[0].decode("n", as: Int.self) == 0)
    }
}

@Suite struct ErrorPageTests {
    struct Boom: Error {}

    func app() async throws -> some ApplicationProtocol {
        let services = try await TestApp.services(suite: "errors")
        let router = buildRouter(services: services)
        router.get("/test/crash") { _, _ -> Response in throw Boom() }
        router.get("/test/bad") { _, _ -> Response in throw HTTPError(.badRequest) }
        return Application(router: router)
    }

    @Test(arguments: [
        ("/test/bad", HTTPResponse.Status.badRequest, "bad-request"),
        ("/khmelnytskyi/admin", .unauthorized, "unauthorized"),
        ("/no-such-community", .notFound, "not-found"),
        ("/test/crash", .internalServerError, "internal"),
    ])
    func errorsAnswerInTheFormatAsked(path: String, status: HTTPResponse.Status, kind: String) async throws {
        try await app().test(.router) { client in
            let html = try await client.execute(uri: path, method: .get, headers: [.accept: "text/html"])
            #expect(html.status == status)
            #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: html.body).contains("<h1>"))

            let json = try await client.execute(uri: path, method: .get, headers: [.accept: "application/json"])
            #expect(json.status == status)
            #expect(json.headers[.contentType] == "application/problem+json")
            let problem = try JSONSerialization.jsonObject(with: Data(buffer: json.body)) as? [String: Any]
            #expect(problem?["type"] as? String == "/problems/\(kind)")
            #expect(problem?["status"] as? Int == Int(status.code))
            #expect((problem?["title"] as? String)?.isEmpty == false)
        }
    }

    @Test func forbiddenInBothFormats() async throws {
        try await app().test(.router) { client in
            let browser = Browser(client: client)
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let html = try await browser.get("/khmelnytskyi/admin", headers: [.accept: "text/html"])
            #expect(html.status == .forbidden)
            #expect(html.body.contains("Немає доступу"))
            let json = try await browser.get("/khmelnytskyi/admin", headers: [.accept: "application/json"])
            #expect(json.status == .forbidden)
            #expect(json.body.contains(#""type":"\/problems\/forbidden""#))
        }
    }

    @Test func internalErrorsRevealNothing() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/test/crash", method: .get, headers: [.accept: "application/json"])
            #expect(!String(buffer: response.body).contains("Boom"))
        }
    }

    @Test func pagesCarrySecurityHeaders() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            let policy = try #require(response.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            #expect(response.headers[.setCookie] == nil, "an anonymous page without a form sets no cookie")
            // The visitor cookie comes with a form an anonymous visitor may send.
            let form = try await client.execute(uri: "/signin", method: .get)
            let cookie = try #require(form.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
        }
    }
}

@Suite struct APITests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "api") }

    func signIn(_ client: some TestClientProtocol, _ email: String, password: String = DemoData.password) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"email": "\#(email)", "password": "\#(password)"}"#))
    }

    @Test func bearerTokensSignInAndOut() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let response = try await signIn(client, "citizen@khmelnytskyi.demo")
            #expect(response.status == .created)
            let session = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            let token = try #require(session?["token"] as? String)
            #expect(session?["token_type"] as? String == "Bearer")

            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(me.status == .ok)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: me.body)) as? [String: Any]
            #expect(body?["email"] as? String == "citizen@khmelnytskyi.demo")
            let membership = (body?["communities"] as? [[String: Any]])?.first
            #expect(membership?["verified"] as? Bool == true)
            #expect(membership?["age"] as? Int == 30)

            // A bearer request needs no CSRF token.
            let signOut = try await client.execute(uri: "/api/v1/session", method: .delete, headers: [.authorization: "Bearer \(token)"])
            #expect(signOut.status == .noContent)
            let after = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(after.status == .unauthorized)
            #expect(after.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func wrongPasswordAndBadJSONAreProblems() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let wrong = try await signIn(client, "official@khmelnytskyi.demo", password: "nope")
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains(#""type":"\/problems\/unauthorized""#))
            let malformed = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{oops"))
            #expect(malformed.status == .badRequest)
            #expect(malformed.headers[.contentType] == "application/problem+json")
            let anonymous = try await client.execute(uri: "/api/v1/me", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func communitiesAndOpenAPI() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let list = try await client.execute(uri: "/api/v1/communities", method: .get)
            #expect(String(buffer: list.body).contains(#""slug":"khmelnytskyi""#))
            let community = try await client.execute(uri: "/api/v1/khmelnytskyi", method: .get)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: community.body)) as? [String: Any]
            #expect(((body?["settings"] as? [String: Any])?["petitions"] as? [String: Any])?["signature_threshold"] as? Int == 500)
            #expect((body?["departments"] as? [Any])?.count == 7)
            #expect((body?["holidays"] as? [String])?.contains { $0.hasSuffix("-08-24") } == true)
            let spec = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            let document = try JSONSerialization.jsonObject(with: Data(buffer: spec.body)) as? [String: Any]
            #expect(document?["openapi"] as? String == "3.1.0")
            #expect((document?["paths"] as? [String: Any])?["/api/v1/session"] != nil)
        }
    }
}

@Suite struct OperationsTests {
    @Test func healthReadinessAndMetrics() async throws {
        let services = try await TestApp.services(suite: "operations")
        // Over a real connection from the loopback address, which may read the metrics by default.
        try await Application(router: buildRouter(services: services)).test(.live) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            _ = try await client.execute(uri: "/khmelnytskyi", method: .get)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"hromada_http_requests_total{route="/{community}",method="GET",status="200"}"#))
            #expect(metrics.contains("hromada_http_request_duration_seconds_bucket"))
            #expect(metrics.contains("hromada_db_pool_in_use_connections"))
        }
    }

    @Test func aDatabaseThatIsDownMeansServiceUnavailable() async throws {
        let working = try await TestApp.services(suite: "operations")
        var configuration = working.configuration
        configuration.databaseURL = "postgres://postgres@127.0.0.1:1/none?connect_timeout=1"
        let pool = PostgresPool(configuration: PostgresConfiguration(url: configuration.databaseURL), size: 2)
        let services = try await AppServices(configuration: configuration, database: pool, logger: Logger(label: "test"))
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable)
            let page = try await client.execute(uri: "/khmelnytskyi", method: .get, headers: [.accept: "text/html"])
            #expect(page.status == .serviceUnavailable)
            #expect(String(buffer: page.body).contains("Сервіс тимчасово недоступний"))
            #expect(try await client.execute(uri: "/static/css/hromada.css", method: .get).status == .ok)
        }
        await pool.shutdown()
    }
}

@Suite struct DemoDataTests {
    /// A second load changes nothing, even after someone signed up in the demo (a second `make
    /// run`); a database that is not the demo's is never loaded into.
    @Test func loadsOnceAndRefusesRealPeople() async throws {
        let services = try await TestApp.services(suite: "demo")
        #expect(try await DemoData(services: services).load() == .alreadyPresent)
        let roles = try await services.database.query(
            "SELECT p.email::text AS email, g.role FROM role_grants g JOIN people p ON p.id = g.person_id WHERE p.email NOT LIKE 'resident-%' ORDER BY p.email")
        let pairs = try roles.map { "\(try $0.decode("email", as: String.self)):\(try $0.decode("role", as: String.self))" }
        #expect(pairs == [
            "admin@khmelnytskyi.demo:administrator", "citizen@khmelnytskyi.demo:citizen", "desk@khmelnytskyi.demo:official",
            "ecology@khmelnytskyi.demo:department_head",
            "head@khmelnytskyi.demo:department_head",
            "moderator@khmelnytskyi.demo:moderator", "newcomer@khmelnytskyi.demo:citizen", "official@khmelnytskyi.demo:official",
        ])
        _ = try await services.accounts.signUp(
            email: "real.person@example.ua", fullName: "Справжня Людина", password: "0123456789abc", language: .uk,
            citizenOf: nil, ip: nil)
        #expect(try await DemoData(services: services).load() == .alreadyPresent)
        // A real community of the demo's name (no demo administrator) …
        try await services.database.query("UPDATE people SET email = 'admin@khmelnytskyi.example' WHERE email = 'admin@khmelnytskyi.demo'")
        await #expect(throws: DemoData.SeedError.self) { try await DemoData(services: services).load() }
        // … and real people with no demo community.
        try await services.database.query("UPDATE communities SET slug = 'khmelnytskyi-real' WHERE slug = 'khmelnytskyi'")
        await #expect(throws: DemoData.SeedError.self) { try await DemoData(services: services).load() }
        #expect(try await services.database.query("SELECT 1 FROM communities WHERE slug = 'khmelnytskyi'").isEmpty)
    }
}

@Suite struct OpenAPIDocumentTests {
    /// The OpenAPI document describes every API route the router serves, and nothing else.
    @Test func everyAPIRouteIsDocumented() async throws {
        let services = try await TestApp.services(suite: "operations")
        let routes = Set(buildRouter(services: services).routes
            .filter { $0.path.description.hasPrefix("/api/v1") }
            .map { "\($0.method.rawValue.lowercased()) \($0.path.description)" })
        let document = try JSONSerialization.jsonObject(
            with: Data(contentsOf: AppResources.directory.appendingPathComponent("openapi.json"))) as? [String: Any]
        let paths = try #require(document?["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
        #expect(routes.subtracting(documented).isEmpty, "undocumented: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented but not served: \(documented.subtracting(routes).sorted())")
    }
}
