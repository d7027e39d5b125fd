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
            case .forbidden, .csrf: .forbidden
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

    public init(_ kind: Kind, detailKey: String? = nil, fieldErrors: [String: String] = [:]) {
        self.kind = kind
        self.detailKey = detailKey
        self.fieldErrors = fieldErrors
    }

    public static let notFound = AppError(.notFound)
    public static let forbidden = AppError(.forbidden)
    public static let signInRequired = AppError(.unauthorized, detailKey: "error.sign_in_required")
}
