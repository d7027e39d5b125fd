import Foundation
import Hummingbird

/// Finds who is asking (a session cookie or an API bearer token), gives the request its CSRF token,
/// and refuses a cookie-authenticated state change that does not carry a valid one.
///
/// Forms carry the token as the `_csrf` field, scripts as the `X-CSRF-Token` header. Before
/// sign-in the token is bound to the random `hromada_visitor` cookie, so the sign-in and sign-up
/// forms are protected too; that cookie is set only with a page that shows such a form (see
/// ``CSRFToken``), so other anonymous pages set none and caches may share them. Requests with a
/// bearer token, and API calls without a session cookie, carry no credential a browser adds by
/// itself, so they need no token.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let services: AppServices

    static let sessionCookie = "hromada_session"
    static let visitorCookie = "hromada_visitor"
    static let flashCookie = "hromada_flash"
    static let csrfField = "_csrf"
    /// Operational endpoints and static files never touch the session store (or the database).
    static let exemptPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]
    static let exemptPrefix = "/static/"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.exemptPaths.contains(path) || path.hasPrefix(Self.exemptPrefix) {
            return try await next(request, context)
        }
        var context = context
        var request = request
        var clearSessionCookie = false

        if let authorization = request.headers[.authorization] {
            guard authorization.lowercased().hasPrefix("bearer "),
                let found = try await services.sessions.viewer(forToken: String(authorization.dropFirst(7))),
                found.kind == .api
            else { throw AppError(.unauthorized, detailKey: "error.bad_token") }
            context.viewer = found.viewer
            context.authenticatedByBearer = true
        } else if let token = request.cookies[Self.sessionCookie]?.value {
            if let found = try await services.sessions.viewer(forToken: token), found.kind == .browser {
                context.viewer = found.viewer
            } else {
                clearSessionCookie = true
            }
        }

        // An API call that carries no session cookie has no ambient authority to abuse (Open311
        // clients authenticate with their api_key).
        let isAPI = path.hasPrefix("/api/") || path.hasPrefix("/open311/")
        let needsCSRFCheck = !context.authenticatedByBearer && !(isAPI && request.cookies[Self.sessionCookie] == nil)
        if needsCSRFCheck {
            let binding: [UInt8]?
            if let viewer = context.viewer {
                binding = viewer.sessionTokenHash
            } else if let visitor = request.cookies[Self.visitorCookie]?.value, visitor.count >= 20 {
                binding = Array(visitor.utf8)
            } else {
                binding = nil
            }
            context.csrf.bind(services.csrf, to: binding)
            if Self.isStateChanging(request.method) {
                // Refused before a byte of the body is read: without a binding no token can be valid.
                guard let binding else { throw AppError(.csrf, detailKey: "error.csrf.detail") }
                if Self.isMultipart(request), context.viewer == nil { throw AppError.signInRequired }
                let presented = try await Self.presentedToken(&request)
                guard let presented, services.csrf.isValid(presented, binding: binding) else {
                    throw AppError(.csrf, detailKey: "error.csrf.detail")
                }
            }
        }
        // After the CSRF check, so a forged request is refused as forged whoever it names. Answered
        // here rather than thrown: the error middleware runs outside this one and would not know
        // the viewer, whose refusal page offers to send the link again.
        if let refusal = EmailConfirmationGate.refusal(for: context.viewer, method: request.method, path: path) {
            return ErrorResponder(renderer: services.renderer, catalogue: services.catalogue).response(for: refusal, request: request, context: context)
        }
        context.flashKey = request.cookies[Self.flashCookie]?.value

        var response = try await next(request, context)
        if let newVisitor = context.csrf.newVisitor {
            response.setCookie(services.cookie(Self.visitorCookie, value: newVisitor, maxAge: 365 * 24 * 3600))
        }
        if clearSessionCookie {
            response.setCookie(services.cookie(Self.sessionCookie, value: "", maxAge: 0))
        }
        if context.flashKey != nil, response.headers[values: .setCookie].allSatisfy({ !$0.hasPrefix(Self.flashCookie + "=") }) {
            response.setCookie(services.cookie(Self.flashCookie, value: "", maxAge: 0))
        }
        return response
    }

    static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    static func isMultipart(_ request: Request) -> Bool {
        (request.headers[.contentType] ?? "").lowercased().hasPrefix("multipart/form-data")
    }

    /// The token from the header, from the `_csrf` field of a URL-encoded form (a body of at most
    /// 64 KiB, kept for the handler to read), or, for a `multipart/form-data` upload, from the
    /// `_csrf` parameter of the form's action URL. An upload is checked before its body (up to
    /// ``UploadForm/maximumBodyBytes``) is read at all; `Referrer-Policy: same-origin` keeps the
    /// URL's token on this site.
    static func presentedToken(_ request: inout Request) async throws -> String? {
        if let header = request.headers[.xCSRFToken] { return header }
        if isMultipart(request) { return request.uri.queryParameters[Substring(csrfField)].map(String.init) }
        let contentType = request.headers[.contentType] ?? ""
        if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            let body = try await request.collectBody(upTo: 64 * 1024)
            return FormData(urlEncoded: String(buffer: body)).values[csrfField]
        }
        return nil
    }
}

extension AppServices {
    /// A cookie with the attributes every Hromada cookie shares: HttpOnly, SameSite=Lax, path /,
    /// and Secure when the public address is https.
    func cookie(_ name: String, value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: configuration.usesHTTPS, httpOnly: true, sameSite: .lax)
    }

    /// The ``KnownDevices`` cookie set on a successful sign-in: this browser or client is the
    /// account's own from now on.
    func knownDeviceCookie(for person: Person) -> Cookie {
        cookie(KnownDevices.cookieName, value: knownDevices.token(for: person.email), maxAge: KnownDevices.lifetimeSeconds)
    }

    /// A 303 redirect that shows a one-time message (a catalogue key) on the next page.
    func redirect(to location: String, flash: String? = nil) -> Response {
        var response = Response.redirect(to: location, type: .normal)
        if let flash { response.setCookie(cookie(SessionMiddleware.flashCookie, value: flash, maxAge: 60)) }
        return response
    }
}
