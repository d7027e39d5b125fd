import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// How long a shared cache (nginx, a CDN) or a browser may reuse an anonymous response before
/// asking again, and how long after that it may still serve the old copy while it asks.
public struct Freshness: Sendable, Equatable {
    public var maxAge: Int
    public var staleWhileRevalidate: Int

    /// A petition's live count: a second or two behind the truth at most.
    public static let liveCount = Freshness(maxAge: 1, staleWhileRevalidate: 1)
    /// Lists, maps, searches and a community's home: a new item shows within seconds.
    public static let list = Freshness(maxAge: 5, staleWhileRevalidate: 10)
    /// One item's page or document: a petition, a report, a project, a consultation.
    public static let item = Freshness(maxAge: 10, staleWhileRevalidate: 20)
    /// An item whose outcome is final (a petition answered, rejected or ended short).
    public static let settled = Freshness(maxAge: 3600, staleWhileRevalidate: 60)
    /// Open-data files and reference documents (OpenAPI, OGC landing pages, Open311 services).
    public static let download = Freshness(maxAge: 300, staleWhileRevalidate: 300)

    var cacheControl: String { "public, max-age=\(maxAge), stale-while-revalidate=\(staleWhileRevalidate)" }
}

/// Lets a handler lengthen its response's freshness when the content says so (a closed
/// petition); one per request, read by ``HTTPCacheMiddleware`` after the handler returns.
public final class FreshnessHint: Sendable {
    private let box = NIOLockedValueBox<Freshness?>(nil)

    public init() {}

    /// Wins over the route's default in ``HTTPCachePolicy/routes``.
    public var override: Freshness? {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}

/// Which responses may be shared, in one place.
///
/// A response is `Cache-Control: public` only when all of these hold: the request is a GET or
/// HEAD with no session cookie and no `Authorization` header; its route is listed in ``routes``
/// (or its handler set a ``FreshnessHint``); it answers 200 (or a handler's own 304); it sets no
/// cookie; and it carries no CSRF token (a form bound to this browser). It then also gets
/// `Vary: Accept-Language, Cookie` (the language comes from the `hromada_lang` cookie or the
/// Accept-Language header, and a session cookie changes everything) and an ETag, and a matching
/// `If-None-Match` is answered 304 without a body. Every other response is `private, no-store`,
/// except that a route not listed here keeps a `Cache-Control` its handler set (a photo at
/// `/media/{id}` never changes) and static files keep ``FileMiddleware``'s.
public enum HTTPCachePolicy {
    /// Route patterns (as the router names them) whose anonymous answers are the same for every
    /// anonymous visitor of a language.
    public static let routes: [String: Freshness] = [
        "/": .list,
        "/{community}": .list,
        "/{community}/petitions": .list,
        "/{community}/petitions/{id}": .item,
        "/{community}/petitions/{id}/count.json": .liveCount,
        "/{community}/consultations": .list,
        "/{community}/consultations/{id}": .item,
        "/{community}/reports": .list,
        "/{community}/reports.geojson": .list,
        "/{community}/reports/{id}": .item,
        "/{community}/budget": .list,
        "/{community}/budget/cycles/{cycle}": .list,
        "/{community}/budget/cycles/{cycle}/results": .item,
        "/{community}/budget/projects/{project}": .item,
        "/{community}/map": .list,
        "/{community}/map/{register}/{object}": .item,
        "/{community}/documents/{id}": .item,

        "/{community}/open-data/petitions.csv": .download,
        "/{community}/open-data/petitions.json": .download,
        "/{community}/open-data/signatures.csv": .download,
        "/{community}/open-data/signatures.json": .download,
        "/{community}/open-data/budget/{cycle}/projects.csv": .download,
        "/{community}/open-data/budget/{cycle}/projects.json": .download,
        "/{community}/open-data/budget/{cycle}/results.csv": .download,
        "/{community}/open-data/budget/{cycle}/results.json": .download,
        "/{community}/open-data/budget/{cycle}/ballots.csv": .download,
        "/{community}/open-data/budget/{cycle}/ballots.json": .download,
        "/{community}/open-data/consultations/{id}/results.csv": .download,
        "/{community}/open-data/consultations/{id}/results.json": .download,
        "/{community}/open-data/reports.csv": .download,
        "/{community}/open-data/reports.geojson": .download,
        "/{community}/open-data/registers/{file}": .download,

        "/api/v1/openapi.json": .download,
        "/api/v1/communities": .list,
        "/api/v1/{community}": .list,
        "/api/v1/{community}/petitions": .list,
        "/api/v1/{community}/petitions/{id}": .item,
        "/api/v1/{community}/petitions/{id}/signatures": .list,
        "/api/v1/{community}/documents/{id}": .item,
        "/api/v1/{community}/budget/cycles": .list,
        "/api/v1/{community}/budget/cycles/{cycle}": .item,
        "/api/v1/{community}/budget/cycles/{cycle}/projects": .list,
        "/api/v1/{community}/budget/cycles/{cycle}/results": .item,
        "/api/v1/{community}/budget/projects/{project}": .item,
        "/api/v1/{community}/consultations": .list,
        "/api/v1/{community}/consultations/{id}": .item,
        "/api/v1/{community}/consultations/{id}/results": .item,

        "/open311/v2/{file}": .list,
        "/open311/v2/services/{file}": .download,
        "/open311/v2/requests/{file}": .item,
        "/open311/v2/tokens/{file}": .item,

        "/ogc/{community}": .download,
        "/ogc/{community}/conformance": .download,
        "/ogc/{community}/collections": .list,
        "/ogc/{community}/collections/{collection}": .list,
        "/ogc/{community}/collections/{collection}/items": .list,
        "/ogc/{community}/collections/{collection}/items/{feature}": .item,
    ]

    /// The request headers a shared copy depends on besides the URL.
    static let vary = "Accept-Language, Cookie"
    /// Everything that is not shared.
    static let notShared = "private, no-store"
}

/// Entity tags: a hash of what the response says, and `If-None-Match` against it.
enum EntityTag {
    /// A strong tag of these bytes (the first 16 bytes of their SHA-256).
    static func of(_ bytes: some Collection<UInt8>) -> String {
        "\"" + Crypto.hex(Crypto.sha256(bytes).prefix(16)) + "\""
    }

    /// Whether `If-None-Match` names `tag` (weakly compared, as RFC 9110 asks for this header) or is `*`.
    static func matches(_ request: Request, tag: String) -> Bool {
        guard let header = request.headers[.ifNoneMatch] else { return false }
        let bare = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
        return header.split(separator: ",").contains { candidate in
            let candidate = candidate.trimmingCharacters(in: .whitespaces)
            return candidate == "*" || (candidate.hasPrefix("W/") ? String(candidate.dropFirst(2)) : candidate) == bare
        }
    }

    /// The 304 for a response whose tag matched: its validators and caching headers, no body.
    static func notModified(_ headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentType] = nil
        headers[.contentDisposition] = nil
        headers[.contentLength] = nil
        return Response(status: .notModified, headers: headers)
    }
}
