import HTTPTypes

/// An error a person or an API client is meant to see.
///
/// Pages show `titleKey` from the catalogue; the API answers `application/problem+json`
/// (RFC 9457) whose `type` is `/problems/<kind>`, stable per kind of error.
public struct AppError: Error, Sendable {
    public enum Kind: String, Sendable {
        case badRequest = "bad-request"
        case validation = "validation"
        case unauthorized = "unauthorized"
        case forbidden = "forbidden"
        /// A signed-in person whose e-mail address is not confirmed yet tried to write.
        case emailUnconfirmed = "email-unconfirmed"
        case csrf = "csrf"
        case notFound = "not-found"
        case conflict = "conflict"
        case rateLimited = "rate-limited"
        case unavailable = "unavailable"
        case internalError = "internal"

        public var status: HTTPResponse.Status {
            switch self {
            case .badRequest: .badRequest
            case .validation: .unprocessableContent
            case .unauthorized: .unauthorized
            case .forbidden, .csrf, .emailUnconfirmed: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .rateLimited: .tooManyRequests
            case .unavailable: .serviceUnavailable
            case .internalError: .internalServerError
            }
        }

        /// The catalogue key of the title shown for this kind.
        public var titleKey: String { "error.\(rawValue).title" }
    }

    public var kind: Kind
    /// A catalogue key for the detail, if any.
    public var detailKey: String?
    /// Per-field messages (catalogue keys) for validation errors.
    public var fieldErrors: [String: String]
    /// For a rate limit: the seconds until the window ends, sent as `Retry-After` and told to
    /// the person in the detail.
    public var retryAfterSeconds: Int?

    public init(_ kind: Kind, detailKey: String? = nil, fieldErrors: [String: String] = [:], retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.detailKey = detailKey
        self.fieldErrors = fieldErrors
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The detail a person reads: the text of `detailKey` and, when the error says how long to
    /// wait, "try again in 12 minutes" (or hours, from an hour on) in the language's plural form.
    public func detail(_ catalogue: TranslationCatalogue, _ language: Language) -> String? {
        guard let detailKey else { return nil }
        let detail = catalogue.text(detailKey, language)
        guard let seconds = retryAfterSeconds, seconds > 0 else { return detail }
        let wait = seconds < 3600
            ? catalogue.count("error.retry_after.minutes", (seconds + 59) / 60, language)
            : catalogue.count("error.retry_after.hours", (seconds + 3599) / 3600, language)
        return "\(detail) \(wait)"
    }

    public static let notFound = AppError(.notFound)
    public static let forbidden = AppError(.forbidden)
    public static let signInRequired = AppError(.unauthorized, detailKey: "error.sign_in_required")
}
