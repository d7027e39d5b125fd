import Foundation
import Hummingbird

/// The pages behind the links that accounts receive by e-mail: confirming the address
/// (`/email/confirm`) and resetting a forgotten password (`/password/forgot`, `/password/reset`).
///
/// Opening a link shows a page with a button; only the button's POST uses the link, so a mail
/// scanner or a browser's prefetch that opens it cannot spend it.
struct AccountLinkRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/email/confirm", use: confirmationPage)
        router.post("/email/confirm", use: confirmEmail)
        router.post("/email/confirm/resend", use: resendConfirmation)
        router.get("/password/forgot", use: forgotPasswordPage)
        router.post("/password/forgot", use: requestPasswordReset)
        router.get("/password/reset", use: resetPasswordPage)
        router.post("/password/reset", use: resetPassword)
    }

    // MARK: - E-mail confirmation

    @Sendable func confirmationPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        switch try await services.accountTokens.holder(of: token, kind: .confirmEmail) {
        case .failure(let problem):
            return linkProblemPage(problem, kind: .confirmEmail, request, context)
        case .success(let holder):
            let view = ConfirmationView(token: token, email: holder.email, offersSignIn: context.viewer == nil)
            return services.renderer.response(Page("email-confirm", titleKey: "confirm.title", values: ["view": view]), request: request, context: context)
        }
    }

    @Sendable func confirmEmail(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormData.from(request)
        switch try await services.accountTokens.confirmEmail(token: form.raw("token"), ip: context.clientIP) {
        case .failure(let problem):
            return linkProblemPage(problem, kind: .confirmEmail, request, context)
        case .success(let person):
            if context.viewer?.person.id == person.id {
                return services.redirect(to: "/account", flash: "confirm.done")
            }
            // Another browser: it signs in only when the person ticked the box, and never over someone else's session.
            if context.viewer == nil, form["sign_in"] == "yes" {
                return try await services.startBrowserSession(for: person, context: context, next: "/account", flash: "confirm.done")
            }
            return services.redirect(to: context.viewer == nil ? "/signin" : "/", flash: "confirm.done_elsewhere")
        }
    }

    @Sendable func resendConfirmation(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let viewer = try context.requireViewer()
        let sent = try await services.accountTokens.resendConfirmation(to: viewer, ip: context.clientIP)
        return services.redirect(to: "/account", flash: sent ? "confirm.sent" : "confirm.already")
    }

    // MARK: - Password reset

    @Sendable func forgotPasswordPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        forgotPage(ForgotPasswordView(email: request.uri.queryParameters["email"].map(String.init) ?? ""), request, context)
    }

    /// Answers the same whether or not the address has an account, and whether or not its limit
    /// let a new link go out; only the per-address limit, which names no account, is told.
    @Sendable func requestPasswordReset(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormData.from(request)
        let email = AccountRules.normalizedEmail(form["email"])
        guard AccountRules.isPlausibleEmail(email) else {
            return forgotPage(ForgotPasswordView(email: form["email"]), request, context,
                              error: AppError(.validation, fieldErrors: ["email": "signup.error.email"]))
        }
        let rule = RateLimiter.Rule.passwordResetPerIP
        guard try await services.rateLimiter.allow(rule, address: context.clientIP) else {
            return forgotPage(ForgotPasswordView(email: email), request, context, error: AppError(
                .rateLimited, detailKey: "error.rate-limited.detail", retryAfterSeconds: RateLimiter.secondsLeft(inWindowOf: rule.windowSeconds)))
        }
        try await services.accountTokens.requestPasswordReset(email: email, ip: context.clientIP)
        return forgotPage(ForgotPasswordView(email: email, sentTo: email), request, context)
    }

    @Sendable func resetPasswordPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        switch try await services.accountTokens.holder(of: token, kind: .resetPassword) {
        case .failure(let problem):
            return linkProblemPage(problem, kind: .resetPassword, request, context)
        case .success(let holder):
            return resetPage(ResetPasswordView(token: token, email: holder.email), request, context)
        }
    }

    @Sendable func resetPassword(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormData.from(request)
        let token = form.raw("token")
        let holder: AccountTokenStore.Holder
        switch try await services.accountTokens.holder(of: token, kind: .resetPassword) {
        case .failure(let problem): return linkProblemPage(problem, kind: .resetPassword, request, context)
        case .success(let found): holder = found
        }
        let password = form.raw("password")
        let errors = AccountRules.passwordErrors(password)
        guard errors.isEmpty else {
            return resetPage(ResetPasswordView(token: token, email: holder.email), request, context,
                             error: AppError(.validation, fieldErrors: errors))
        }
        let passwordHash = try await services.accounts.hashPassword(password)
        let kept = context.viewer.map { (personID: $0.person.id, tokenHash: $0.sessionTokenHash) }
        switch try await services.accountTokens.resetPassword(token: token, passwordHash: passwordHash, keepingSession: kept, ip: context.clientIP) {
        case .failure(let problem):
            return linkProblemPage(problem, kind: .resetPassword, request, context)
        case .success(let person):
            return context.viewer?.person.id == person.id
                ? services.redirect(to: "/account", flash: "reset.done_signed_in")
                : services.redirect(to: "/signin", flash: "reset.done")
        }
    }

    // MARK: - Pages

    private func forgotPage(_ view: ForgotPasswordView, _ request: Request, _ context: AppRequestContext, error: AppError? = nil) -> Response {
        var page = Page("password-forgot", titleKey: "reset.forgot_title", values: ["view": view])
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func resetPage(_ view: ResetPasswordView, _ request: Request, _ context: AppRequestContext, error: AppError? = nil) -> Response {
        var page = Page("password-reset", titleKey: "reset.title", values: ["view": view])
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }

    /// A link that cannot be used: what happened, and the way to a new one. Nothing was changed.
    private func linkProblemPage(
        _ problem: AccountTokenStore.Problem, kind: AccountTokenStore.Kind, _ request: Request, _ context: AppRequestContext
    ) -> Response {
        let view = LinkProblemView(problem, kind: kind, signedIn: context.viewer != nil,
                                   unconfirmed: context.viewer.map { !$0.emailConfirmed } ?? false,
                                   catalogue: services.catalogue, language: context.language)
        let page = Page("account-link", titleKey: LinkProblemView.titleKey(problem), status: problem == .unknown ? .notFound : .gone,
                        values: ["view": view])
        return services.renderer.response(page, request: request, context: context)
    }
}

/// The confirmation page: the address a valid link confirms, and whether to offer signing in here.
/// The view types of this file are rendered as they are, under `view`: their stored properties are the template's names.
struct ConfirmationView {
    var token: String
    var email: String
    /// Nobody is signed in in this browser: it may sign in as the link's owner if they choose to.
    var offersSignIn: Bool
}

/// The "forgot password" form, and after a request the answer that tells nobody whether the address has an account.
struct ForgotPasswordView {
    var email: String
    var sentTo: String?
}

/// The form that sets a new password through a valid reset link.
struct ResetPasswordView {
    var token: String
    var email: String
    var minimumPasswordLength = AccountRules.minimumPasswordLength
}

/// Why a link could not be used, and where to get a new one.
struct LinkProblemView {
    var detail: String
    /// A confirmation link: the page offers to send a new one (`offersResend`, the viewer's own
    /// address still waits) or to sign in first (`offersSignIn`).
    var confirm: Bool
    var offersResend: Bool
    var offersSignIn: Bool
    /// A reset link: the page offers to ask for a new one.
    var reset: Bool

    /// `link.<problem>.title`.
    static func titleKey(_ problem: AccountTokenStore.Problem) -> String { "link.\(problem.rawValue).title" }

    init(_ problem: AccountTokenStore.Problem, kind: AccountTokenStore.Kind, signedIn: Bool, unconfirmed: Bool,
         catalogue: TranslationCatalogue, language: Language) {
        // `link.<problem>.confirm` or `link.<problem>.reset`
        detail = catalogue.text("link.\(problem.rawValue).\(kind == .confirmEmail ? "confirm" : "reset")", language)
        confirm = kind == .confirmEmail
        offersResend = confirm && unconfirmed
        offersSignIn = confirm && !signedIn
        reset = kind == .resetPassword
    }
}
