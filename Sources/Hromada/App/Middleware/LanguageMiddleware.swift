import Hummingbird

/// Picks the interface language: the `hromada_lang` cookie set by the language switch, else the
/// browser's Accept-Language, else Ukrainian.
struct LanguageMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let cookieName = "hromada_lang"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.language = Self.language(cookie: request.cookies[Self.cookieName]?.value,
                                         acceptLanguage: request.headers[.acceptLanguage])
        return try await next(request, context)
    }

    static func language(cookie: String?, acceptLanguage: String?) -> Language {
        if let cookie, let language = Language(rawValue: cookie) { return language }
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let tag = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
            if let language = Language(rawValue: String(tag.prefix(2))) { return language }
        }
        return .default
    }
}
