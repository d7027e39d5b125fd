import HTTPTypes
import Hummingbird
import NIOCore

/// Writes every response's `Cache-Control` by ``HTTPCachePolicy``: public, with `Vary`, an ETag
/// and 304s, for what every anonymous visitor of a language would see alike; `private, no-store`
/// for the rest.
///
/// It sits outside ``ErrorMiddleware`` and ``SessionMiddleware``, so it sees error pages and every
/// cookie the response sets; the CSRF token and the handler's ``FreshnessHint`` are objects of
/// the request that all middleware share.
struct HTTPCacheMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // Static files keep FileMiddleware's max-age and validators.
        if request.uri.path.hasPrefix(SessionMiddleware.exemptPrefix) { return response }
        let freshness = context.freshness.override ?? context.endpointPath.flatMap { HTTPCachePolicy.routes[$0] }
        guard let freshness, Self.isShareable(request, response, context) else {
            if freshness != nil || response.headers[.cacheControl] == nil {
                response.headers[.cacheControl] = HTTPCachePolicy.notShared
            }
            return response
        }
        response.headers[.cacheControl] = freshness.cacheControl
        response.headers[.vary] = HTTPCachePolicy.vary
        // Open-data exports tag themselves (a streamed file by its dataset's version) and answer
        // their own 304s; anything else held in memory is tagged by its bytes.
        guard response.status == .ok, response.headers[.eTag] == nil, response.body.contentLength != nil else { return response }
        let body = try await Self.collect(response.body)
        let tag = EntityTag.of(body.readableBytesView)
        response.headers[.eTag] = tag
        if EntityTag.matches(request, tag: tag) { return EntityTag.notModified(response.headers) }
        response.body = ResponseBody(byteBuffer: body)
        return response
    }

    /// Whether this answer is the same for every anonymous visitor who sends the same URL, language
    /// and cookies.
    static func isShareable(_ request: Request, _ response: Response, _ context: Context) -> Bool {
        [.get, .head].contains(request.method)
            && request.headers[.authorization] == nil
            && request.cookies[SessionMiddleware.sessionCookie] == nil
            && (response.status == .ok || response.status == .notModified)
            && response.headers[.setCookie] == nil
            && !context.csrf.wasIssued
    }

    /// The bytes of a body whose length is known (one built in memory).
    private static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let sink = Sink()
        try await body.write(CollectingWriter(sink: sink))
        return sink.buffer
    }

    private final class Sink {
        var buffer = ByteBuffer()
    }

    private struct CollectingWriter: ResponseBodyWriter {
        let sink: Sink

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            sink.buffer.writeBuffer(&buffer)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
