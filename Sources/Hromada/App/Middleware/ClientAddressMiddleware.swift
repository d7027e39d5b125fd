import HTTPTypes
import Foundation
import Hummingbird

/// Behind a reverse proxy (TLS termination, a load balancer) every request comes from the proxy.
/// When the TCP peer is one of the configured trusted proxies, the client's address is the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Per-IP limits, the audit
/// log and the fraud tools then see people, not the proxy.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = context.clientIP, trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else {
            return try await next(request, context)
        }
        var context = context
        context.clientIP = Self.client(forwardedFor: forwarded, trustedProxies: trustedProxies) ?? peer
        return try await next(request, context)
    }

    /// The right-most address in the header that is not a trusted proxy, if it is an IPv4 or IPv6 address.
    static func client(forwardedFor header: String, trustedProxies: Set<String>) -> String? {
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let client = hops.last(where: { !trustedProxies.contains($0) }), isIPAddress(client) else { return nil }
        return client
    }

    static func isIPAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
