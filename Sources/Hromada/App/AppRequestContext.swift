import Hummingbird
import NIOCore

/// What every handler knows about the request beyond the request itself: who is asking,
/// in which language, and the CSRF token their forms must carry.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address: the TCP peer, or what a trusted proxy forwarded.
    public var clientIP: String?
    public var language: Language = .default
    /// The signed-in person, if any; set by ``SessionMiddleware``.
    public var viewer: Viewer?
    /// How the viewer signed in: cookie sessions need CSRF tokens, bearer tokens do not.
    public var authenticatedByBearer = false
    /// The token forms must send back as `_csrf`, made when a page first asks for it; bound by
    /// ``SessionMiddleware``. One object per request, so the outer middleware see whether it was used.
    public let csrf = CSRFToken()
    /// A handler's word on how long anonymous copies of its response stay fresh, when it knows
    /// better than its route's default (see ``HTTPCachePolicy``).
    public let freshness = FreshnessHint()
    /// A one-time message (a catalogue key) set by the previous response's redirect.
    public var flashKey: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientIP = source.channel.remoteAddress?.ipAddress
    }

    /// The signed-in person, or an error that sends them to sign in.
    public func requireViewer() throws -> Viewer {
        guard let viewer else { throw AppError.signInRequired }
        return viewer
    }

    /// Bodies above this size are refused; photo uploads set their own limit.
    public var maxUploadSize: Int { 1 << 20 }
}
