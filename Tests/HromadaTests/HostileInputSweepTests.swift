import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// Every route of the router — pages, the API, OGC, Open311 and open data alike — called with
/// hostile input: numbers past every range, NUL and control characters, broken percent-encoding,
/// repeated parameters, overlong values, wrong content types and bodies. The process must answer
/// every request with something other than a 5xx (a trap would end the test run itself) and still
/// be ready afterwards. The routes come from the router, so a route added later is swept too.
@Suite struct HostileInputSweepTests {
    /// Values for path parameters, query parameters and form fields, as they appear in a URL or
    /// a URL-encoded body.
    static let values = [
        "9223372036854775807", "9223372036854775808", "-1", "0", "99999999999999999999999999", "1e309", "abc", "%00", "%01%1B",
        "%0D%0Aheader:%20x", "%zz", "%E0%A4%A", "2024-02-30", "nan,nan,nan,nan", String(repeating: "9", count: 20_000),
    ]

    /// Query parameters the routes read (and a register attribute the OGC items filter on).
    static let queryNames = [
        "page", "limit", "offset", "q", "list", "sort", "category", "status", "bbox", "bbox-crs", "datetime", "f", "from", "to",
        "next", "community", "queue", "department", "jurisdiction_id", "service_code", "service_request_id", "start_date", "end_date",
        "lamp_type", "power_w", "format", "viewport", "year", "cycle", "_csrf",
    ]

    /// Form fields the routes read.
    static let formNames = [
        "title", "body", "text", "email", "password", "full_name", "name", "subject", "address", "description", "category", "topic",
        "department", "role", "person", "voter", "decision", "reason", "target", "comment", "outcome", "action", "assignee", "due_on",
        "lat", "long", "latitude", "longitude", "object", "section", "parent", "birth_date", "document_type", "document_number", "resident",
        "day", "code", "schema", "geometry", "sections", "survey", "budget", "progress", "spent", "status", "minimum_age", "starts_on",
        "ends_on", "votes_per_voter", "project_1", "q1", "api_key", "service_code", "jurisdiction_id", "media_url", "receipt",
    ]

    /// Bodies sent to every state-changing route, each with its content type.
    static let bodies: [(contentType: String?, body: [UInt8])] = {
        var bodies: [(String?, [UInt8])] = [
            (nil, []), ("application/x-www-form-urlencoded", []), ("application/json", []), ("text/plain", Array("hello".utf8)),
            ("application/json", Array("{}".utf8)), ("application/json", Array("[]".utf8)), ("application/json", Array("null".utf8)),
            ("application/json", Array(#"{"a":"#.utf8)), ("application/json", Array(String(repeating: "[", count: 60_000).utf8)),
            ("application/json", Array(#"{"email":"a\u0000b","password":"x","text":"a\u0001b","title":"a\r\nb","subject":1e400}"#.utf8)),
            ("application/json", Array(#"{"action":"take","action":"answer","comment":[1,{"x":null}],"assignee_id":9223372036854775808}"#.utf8)),
            ("application/json", [0xFF, 0xFE, 0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x7D]),
            ("multipart/form-data", Array("--x\r\n".utf8)), ("multipart/form-data; boundary=", []),
            ("multipart/form-data; boundary=x", Array("--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nabc".utf8)),
            ("application/x-www-form-urlencoded", Array("%zz=%&&&==&=x&title=a&title=b".utf8)),
        ]
        for value in values {
            let form = formNames.map { "\($0)=\(value)" }.joined(separator: "&")
            bodies.append(("application/x-www-form-urlencoded", Array(form.utf8)))
        }
        return bodies
    }()

    struct Failure: CustomStringConvertible {
        var method: HTTPRequest.Method
        var uri: String
        var status: HTTPResponse.Status
        var description: String { "\(method.rawValue) \(uri.prefix(160)) → \(status.code)" }
    }

    @Test func noRouteFailsOnHostileInput() async throws {
        let services = try await TestApp.services(suite: "hostile_sweep")
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let samples = try await RouteSamples(services, community: community)
        let admin = try #require(try await services.accounts.person(email: "admin@khmelnytskyi.demo"))
        let token = try await services.sessions.create(personID: admin.id, kind: .api, ip: nil, userAgent: nil).token
        let router = buildRouter(services: services)
        // Signing out would end the sweep's own session.
        let routes = router.routes.map { (method: $0.method, path: $0.path.description) }
            .filter { !$0.path.hasSuffix("/signout") && !($0.method == .delete && $0.path == "/api/v1/session") }
        #expect(routes.count > 100, "the router lists \(routes.count) routes")

        let failures = try await Application(router: router).test(.router) { client in
            // Two routes at a time: requests wait on the database about as long as on the processor,
            // and the suites running beside this one keep their share of both.
            let (requests, failures) = try await withThrowingTaskGroup(of: (Int, [Failure]).self) { group in
                var pending = routes.makeIterator()
                for _ in 0..<2 {
                    guard let route = pending.next() else { break }
                    group.addTask { try await Self.sweep(route, samples: samples, client: client, token: token) }
                }
                var requests = 0
                var failures: [Failure] = []
                while let (sent, failed) = try await group.next() {
                    requests += sent
                    failures += failed
                    if let route = pending.next() {
                        group.addTask { try await Self.sweep(route, samples: samples, client: client, token: token) }
                    }
                }
                return (requests, failures)
            }
            // Still serving, and still reading the database.
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let home = try await client.execute(uri: "/khmelnytskyi", method: .get)
            #expect(home.status == .ok)
            #expect(requests > 6_000, "only \(requests) requests were sent")
            return failures
        }
        #expect(failures.isEmpty, "\(failures.count) answers were 5xx:\n\(failures.prefix(60).map(\.description).joined(separator: "\n"))")
    }

    /// Sends one route its hostile requests, as the administrator (who may reach every handler)
    /// and, for some, anonymously; returns how many were sent and those answered 5xx.
    static func sweep(_ route: (method: HTTPRequest.Method, path: String), samples: RouteSamples, client: any TestClientProtocol,
                      token: String) async throws -> (Int, [Failure]) {
        var failures: [Failure] = []
        var requests = 0
        func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8]? = nil, signedIn: Bool = true) async throws {
            var headers = headers
            if signedIn { headers[.authorization] = "Bearer \(token)" }
            let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
            requests += 1
            if response.status.code >= 500 { failures.append(Failure(method: method, uri: uri, status: response.status)) }
        }
        let uri = samples.uri(route.path)
        // Each path parameter in turn takes each hostile value.
        for parameter in pathParameters(route.path) {
            for value in values {
                try await send(route.method, samples.uri(route.path.replacingOccurrences(of: "{\(parameter)}", with: value)))
            }
        }
        // Every query parameter repeated (one at a time where a page reads its query), and every
        // one at once with each hostile value.
        for name in queryNames where route.method == .get {
            try await send(route.method, uri + "?\(name)=a&\(name)=b")
        }
        try await send(route.method, uri + "?" + queryNames.map { "\($0)=1&\($0)=2" }.joined(separator: "&"), signedIn: false)
        for value in values {
            try await send(route.method, uri + "?" + queryNames.map { "\($0)=\(value)" }.joined(separator: "&"))
        }
        // Headers a client controls.
        try await send(route.method, uri, headers: [
            .cookie: "hromada_session=%00; hromada_visitor=\(String(repeating: "v", count: 4000)); hromada_flash=%zz",
            .acceptLanguage: String(repeating: "uk;q=0.9,", count: 500), .accept: "*/*;q=abc, text/html;;;",
            .ifNoneMatch: "\"\(String(repeating: "e", count: 2000))\"", .ifModifiedSince: "yesterday", .range: "bytes=-1-99999999999999999999",
        ], signedIn: false)
        try await send(route.method, uri, headers: [.authorization: "Bearer \(String(repeating: "t", count: 5000))"], signedIn: false)
        if SessionMiddleware.isStateChanging(route.method) {
            for (contentType, body) in bodies {
                var headers: HTTPFields = [:]
                if let contentType { headers[.contentType] = contentType }
                try await send(route.method, uri, headers: headers, body: body)
            }
        }
        return (requests, failures)
    }

    /// The `{name}` parameters of a route's path.
    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }
}
