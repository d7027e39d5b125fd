import Foundation
import Hummingbird
import Mustache

/// A server-rendered page: a template, its title and its values. The layout (header, language
/// switch, sign-in state) is added by ``PageRenderer``.
public struct Page {
    public var template: String
    /// A catalogue key, or an already composed title in `titleText`.
    public var titleKey: String
    public var titleText: String?
    public var status: HTTPResponse.Status = .ok
    public var community: Community?
    public var values: [String: Any]
    /// Sent as `Retry-After` when a form is shown again because a rate limit was reached.
    public var retryAfterSeconds: Int?

    public init(
        _ template: String, titleKey: String, titleText: String? = nil, community: Community? = nil,
        status: HTTPResponse.Status = .ok, values: [String: Any] = [:]
    ) {
        self.template = template
        self.titleKey = titleKey
        self.titleText = titleText
        self.community = community
        self.status = status
        self.values = values
    }
}

/// Renders Mustache templates from `Resources/templates`; every `{{value}}` is HTML-escaped.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let catalogue: TranslationCatalogue

    public init(catalogue: TranslationCatalogue) async throws {
        self.library = try await MustacheLibrary(directory: AppResources.templatesDirectory.path)
        self.catalogue = catalogue
    }

    /// The page inside the layout, as an HTML response.
    public func response(_ page: Page, request: Request, context: AppRequestContext) -> Response {
        let html = render(page, request: request, context: context)
        // Caching headers are HTTPCacheMiddleware's.
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        if let seconds = page.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return Response(status: page.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    public func render(_ page: Page, request: Request, context: AppRequestContext) -> String {
        let language = context.language
        let t = catalogue.table(for: language)
        var values = page.values
        values["t"] = t
        values["lang"] = language.rawValue
        values["page_title"] = page.titleText ?? catalogue.text(page.titleKey, language)
        // Rendered, not computed here: only a page that shows a form makes (and binds) a token.
        values["csrf"] = context.csrf
        let here = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        values["languages"] = Language.allCases.map { other in
            [
                "code": other.rawValue, "label": catalogue.text("language.\(other.rawValue)", language),
                "current": other == language,
                "href": "/lang/\(other.rawValue)?next=\(here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")",
            ] as [String: Any]
        }
        if let viewer = context.viewer {
            values["viewer"] = ["name": viewer.person.fullName, "email": viewer.person.email]
        }
        if let flash = context.flashKey, catalogue.entries[flash] != nil {
            values["flash"] = catalogue.text(flash, language)
        }
        if let community = page.community {
            var communityValues: [String: Any] = ["slug": community.slug, "name": community.name(language)]
            if let viewer = context.viewer {
                communityValues["can_administer"] = viewer.can(.administer, in: community.id)
                communityValues["can_use_office"] = viewer.can(.useOffice, in: community.id)
                communityValues["can_moderate"] = viewer.can(.moderate, in: community.id)
            }
            communityValues["sections"] = CommunityNavigation.sections(
                of: community, viewer: context.viewer, requestPath: request.uri.path, language: language, catalogue: catalogue)
            values["community"] = communityValues
        }
        return library.render(values, withTemplate: page.template) ?? "template \(page.template) is missing"
    }
}
