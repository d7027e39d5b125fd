import Foundation
import HTTPTypes
import Hromada
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import TestSupport

/// The application over a suite's own database, with the demo community loaded.
enum TestApp {
    static let secret = Array("test-secret-key-test-secret-key-0123456789".utf8)
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The suite's services, made once; a suite's tests run in parallel and share them.
    static func services(suite: String) async throws -> AppServices {
        try await ServicesCache.shared.services(suite: suite)
    }

    static func makeServices(suite: String) async throws -> AppServices {
        let pool = try await TestDatabase.shared.pool(for: suite)
        let configuration = AppConfiguration(
            databaseURL: pool.configuration.url, secretKey: secret,
            publicDirectory: repository.appendingPathComponent("Public").path,
            sqlDirectory: repository.appendingPathComponent("sql").path, passwordCost: 10)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let services = try await AppServices(configuration: configuration, database: pool, logger: logger)
        _ = try await DemoData(services: services).load()
        return services
    }

    /// Runs `body` against the router with a fresh browser.
    static func withBrowser<T: Sendable>(
        _ services: AppServices, _ body: @Sendable (Browser) async throws -> T
    ) async throws -> T {
        let app = Application(router: buildRouter(services: services))
        return try await app.test(.router) { client in
            try await body(Browser(client: client))
        }
    }
}

actor ServicesCache {
    static let shared = ServicesCache()
    private var made: [String: Task<AppServices, any Error>] = [:]

    func services(suite: String) async throws -> AppServices {
        if let pending = made[suite] { return try await pending.value }
        let pending = Task { try await TestApp.makeServices(suite: suite) }
        made[suite] = pending
        return try await pending.value
    }
}

/// A test client that keeps cookies like a browser and fills in the CSRF token of the last page.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    private(set) var cookies: [String: String] = [:]
    private(set) var lastCSRF: String?

    init(client: any TestClientProtocol) {
        self.client = client
    }

    struct Page {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var location: String? { headers[.location] }
    }

    @discardableResult
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Page {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; the page's CSRF token is added unless `csrf` says otherwise.
    @discardableResult
    func post(_ uri: String, form: [String: String], csrf: CSRF = .fromLastPage) async throws -> Page {
        var fields = form
        switch csrf {
        case .fromLastPage: fields["_csrf"] = lastCSRF ?? ""
        case .value(let token): fields["_csrf"] = token
        case .none: break
        }
        let body = fields.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await send(
            uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body))
    }

    /// Posts a `multipart/form-data` form with files (field, filename, bytes) and the page's CSRF token.
    @discardableResult
    func postMultipart(_ uri: String, form: [String: String], files: [(field: String, filename: String, bytes: [UInt8])]) async throws -> Page {
        let boundary = "----hromada-test-\(UUID().uuidString)"
        var body: [UInt8] = []
        func append(_ text: String) { body += Array(text.utf8) }
        for (name, value) in form.sorted(by: { $0.key < $1.key }) {
            append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for file in files {
            append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.filename)\"\r\n")
            append("Content-Type: application/octet-stream\r\n\r\n")
            body += file.bytes
            append("\r\n")
        }
        append("--\(boundary)--\r\n")
        // As the pages' upload forms do, the token travels in the action URL (the body is read only after it is checked).
        let action = uri + (uri.contains("?") ? "&" : "?") + "_csrf=" + Self.encode(lastCSRF ?? "")
        return try await send(action, method: .post, headers: [.contentType: "multipart/form-data; boundary=\"\(boundary)\""],
                              body: ByteBuffer(bytes: body))
    }

    enum CSRF {
        case fromLastPage
        case value(String)
        case none
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> Page {
        var headers = headers
        if !cookies.isEmpty {
            headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        for setCookie in response.headers[values: .setCookie] {
            let pair = setCookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || setCookie.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let text = String(buffer: response.body)
        if let range = text.range(of: #"name="_csrf" value="([^"]*)""#, options: .regularExpression) {
            lastCSRF = String(text[range].split(separator: "\"")[3])
        } else if let range = text.range(of: #"\?_csrf=[A-Za-z0-9_-]+"#, options: .regularExpression) {
            lastCSRF = String(text[range].dropFirst("?_csrf=".count))
        }
        return Page(status: response.status, headers: response.headers, body: text)
    }

    /// Sets a cookie as if an earlier response (or an attacker) had.
    func setCookie(_ name: String, _ value: String) {
        cookies[name] = value
    }

    /// Signs in through the form.
    @discardableResult
    func signIn(_ email: String, password: String = DemoData.password) async throws -> Page {
        try await get("/signin")
        return try await post("/signin", form: ["email": email, "password": password])
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}

extension String {
    /// The page's visible text contains `fragment` (HTML-escaped apostrophes included).
    func shows(_ fragment: String) -> Bool {
        contains(fragment) || contains(fragment.replacingOccurrences(of: "'", with: "&#39;"))
    }
}
