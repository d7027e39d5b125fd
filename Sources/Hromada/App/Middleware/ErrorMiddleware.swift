import Foundation
import Hummingbird
import Logging
import Postgres

/// Turns every error into an answer the client can read: an HTML error page for browsers,
/// `application/problem+json` (RFC 9457) for the API and for clients that ask for JSON.
/// A database that cannot be reached answers 503; anything unexpected is logged and answers 500
/// without details.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let renderer: PageRenderer
    let catalogue: TranslationCatalogue
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let appError = classify(error, request: request)
            return ErrorResponder(renderer: renderer, catalogue: catalogue).response(for: appError, request: request, context: context)
        }
    }

    /// What a person is told when PostgreSQL refuses a value from their request rather than
    /// failing itself: a number out of a column's range, text it cannot store, an unknown
    /// reference. `nil` for every other error, which stays a 500 and is logged as one.
    static func inputRefusal(_ error: PostgresError) -> AppError? {
        if error.kind == .invalidParameter { return AppError(.badRequest, detailKey: "error.control_characters") }
        guard error.kind == .server, let state = error.sqlState else { return nil }
        switch state {
        case SQLState.uniqueViolation: return AppError(.conflict)
        case SQLState.foreignKeyViolation, SQLState.checkViolation, SQLState.notNullViolation:
            return AppError(.validation, detailKey: "error.bad_value")
        case SQLState.programLimitExceeded: return AppError(.badRequest, detailKey: "error.too_large")
        default:
            // Class 22: data exceptions (numeric value out of range, invalid text representation, …).
            return state.hasPrefix("22") ? AppError(.badRequest, detailKey: "error.bad_value") : nil
        }
    }

    private func classify(_ error: any Error, request: Request) -> AppError {
        switch error {
        case let error as AppError:
            return error
        case let error as PostgresError where error.isUnavailable:
            logger.warning("database unavailable: \(error.message)")
            return AppError(.unavailable)
        case let error as PostgresError where Self.inputRefusal(error) != nil:
            // The database refused a value the request carried; the request changed nothing.
            logger.notice("input refused by the database on \(request.method) \(request.uri.path): \(error.sqlState ?? "-") \(error.message)")
            return Self.inputRefusal(error)!
        case let error as any HTTPResponseError:
            switch error.status.code {
            case 404, 405: return .notFound
            case 413: return AppError(.badRequest, detailKey: "error.too_large")
            case 400..<500: return AppError(.badRequest)
            default: return AppError(.internalError)
            }
        case is DecodingError:
            return AppError(.badRequest, detailKey: "error.bad_json")
        default:
            logger.error("unexpected error on \(request.method) \(request.uri.path): \(error)")
            return AppError(.internalError)
        }
    }
}

/// Renders an ``AppError`` in the format the client wants.
struct ErrorResponder {
    let renderer: PageRenderer
    let catalogue: TranslationCatalogue

    func response(for error: AppError, request: Request, context: AppRequestContext) -> Response {
        let language = context.language
        let title = catalogue.text(error.kind.titleKey, language)
        let detail = error.detail(catalogue, language)
        var response: Response
        if Self.wantsJSON(request) {
            var problem: [String: Any] = ["type": "/problems/\(error.kind.rawValue)", "title": title, "status": Int(error.kind.status.code)]
            if let detail { problem["detail"] = detail }
            if !error.fieldErrors.isEmpty {
                problem["errors"] = error.fieldErrors.mapValues { catalogue.text($0, language) }
            }
            let body = (try? JSONSerialization.data(withJSONObject: problem, options: [.sortedKeys])) ?? Data()
            response = Response(
                status: error.kind.status, headers: [.contentType: "application/problem+json"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        } else {
            var values: [String: Any] = ["status": Int(error.kind.status.code)]
            if let detail { values["detail"] = detail }
            if error.kind == .emailUnconfirmed, let viewer = context.viewer {
                // The refusal offers the link again (a form, so it works without JavaScript).
                values["resend_to"] = viewer.person.email
            }
            if error.kind == .unauthorized {
                values["sign_in_href"] = "/signin?next=" + (request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            }
            let page = Page("error", titleKey: error.kind.titleKey, status: error.kind.status, values: values)
            response = renderer.response(page, request: request, context: context)
        }
        if error.kind == .unauthorized, request.uri.path.hasPrefix("/api/") {
            response.headers[.wwwAuthenticate] = "Bearer"
        }
        if error.kind == .unavailable {
            response.headers[.retryAfter] = "5"
        }
        if let seconds = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    /// JSON for the machine-facing paths and for clients that prefer it to HTML.
    static func wantsJSON(_ request: Request) -> Bool {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/open311/") { return true }
        let accept = request.headers[.accept] ?? ""
        return (accept.contains("application/json") || accept.contains("application/problem+json")) && !accept.contains("text/html")
    }
}
