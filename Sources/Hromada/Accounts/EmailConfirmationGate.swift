import HTTPTypes

/// The one place that keeps a person whose e-mail address is not confirmed from writing.
///
/// Until they follow their confirmation link a person may read every page and see their
/// account, but every state-changing request (appeals, reports, comments, petitions, signatures,
/// votes, survey answers, …), from a browser or with an API token alike, is refused with
/// ``AppError/Kind/emailUnconfirmed``, whose page says why and offers to send the link again.
/// Only the requests that manage the account itself stay open.
enum EmailConfirmationGate {
    /// State-changing paths an unconfirmed person may still use.
    static let openPaths: Set<String> = [
        "/signout", "/signin", "/signup", "/email/confirm", "/email/confirm/resend", "/password/forgot", "/password/reset",
        "/api/v1/session",
    ]
    /// The account's own pages, and Open311, whose clients act with their application key rather than as the person.
    static let openPrefixes = ["/account/", "/open311/"]

    /// The `emailUnconfirmed` refusal when `viewer` may not make this request yet, else `nil`.
    static func refusal(for viewer: Viewer?, method: HTTPRequest.Method, path: String) -> AppError? {
        guard let viewer, !viewer.emailConfirmed, SessionMiddleware.isStateChanging(method) else { return nil }
        guard !openPaths.contains(path), !openPrefixes.contains(where: path.hasPrefix) else { return nil }
        return AppError(.emailUnconfirmed, detailKey: "error.email-unconfirmed.detail")
    }
}
