import Foundation
import Mustache
import NIOConcurrencyHelpers

/// CSRF tokens bound to the browser session: an HMAC of the session token's hash (or, before
/// sign-in, of the visitor cookie) under a key derived from the server secret. A token from one
/// session is worthless in another, and the server keeps no token state.
public struct CSRFProtection: Sendable {
    let key: [UInt8]

    public init(secretKey: [UInt8]) {
        self.key = Crypto.hmacSHA256(key: secretKey, message: Array("hromada csrf".utf8))
    }

    public func token(binding: [UInt8]) -> String {
        Data(Crypto.hmacSHA256(key: key, message: binding)).base64URLEncodedString()
    }

    public func isValid(_ token: String, binding: [UInt8]) -> Bool {
        guard let presented = Data(base64URLEncoded: token) else { return false }
        return Crypto.constantTimeEquals(Array(presented), Crypto.hmacSHA256(key: key, message: binding))
    }
}

/// The CSRF token of one request, made the first time something asks for it.
///
/// Signed in, it is bound to the session. Before sign-in it is bound to the `hromada_visitor`
/// cookie, and a visitor who has none yet is given one only when a page actually shows a form
/// that needs the token (sign-in, sign-up): ``SessionMiddleware`` sets the cookie minted here on
/// that response. Every other anonymous page sets no cookie, so shared caches may keep it. That the
/// token was asked for at all tells ``HTTPCacheMiddleware`` the response is this browser's own.
///
/// Templates read it as `{{csrf}}`, which renders the token (``PageRenderer``).
public final class CSRFToken: Sendable, MustacheCustomRenderable {
    private struct State {
        var protection: CSRFProtection?
        /// What the token is an HMAC of; `nil` for a visitor without a cookie, minted on first use.
        var binding: [UInt8]?
        var value: String?
        var newVisitor: String?
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Makes tokens of `protection` bound to `binding`, or, when it is `nil`, to a visitor cookie
    /// minted when the token is first asked for. Until this is called (static files, bearer and
    /// API requests) the token is empty.
    func bind(_ protection: CSRFProtection, to binding: [UInt8]?) {
        state.withLockedValue { $0 = State(protection: protection, binding: binding) }
    }

    /// The token, bound as ``bind(_:to:)`` said.
    public var value: String {
        state.withLockedValue { state in
            if let value = state.value { return value }
            guard let protection = state.protection else { return "" }
            let binding: [UInt8]
            if let known = state.binding {
                binding = known
            } else {
                let visitor = Crypto.randomToken(byteCount: 18)
                state.newVisitor = visitor
                binding = Array(visitor.utf8)
            }
            let value = protection.token(binding: binding)
            state.value = value
            return value
        }
    }

    /// Whether a token was handed out: the response carries something bound to this browser.
    public var wasIssued: Bool { state.withLockedValue { $0.value != nil } }

    /// The visitor cookie value minted for the token, which the response must set.
    var newVisitor: String? { state.withLockedValue { $0.newVisitor } }

    public var renderText: String { value }
    public var isNull: Bool { false }
}
