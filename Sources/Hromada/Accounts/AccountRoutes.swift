import Foundation
import Postgres
import Hummingbird

/// Sign-up, sign-in, sign-out, the person's own page and the language switch.
struct AccountRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/signup") { request, context in
            let slug = request.uri.queryParameters["community"].map(String.init)
            return try await signUpPage(request, context, values: ["community_slug": slug ?? ""])
        }
        router.post("/signup", use: signUp)
        router.get("/signin") { request, context in
            signInPage(request, context, values: ["next": localRedirectTarget(request.uri.queryParameters["next"].map(String.init), fallback: "")])
        }
        router.post("/signin", use: signIn)
        router.post("/signout") { request, context in
            if let viewer = context.viewer { try await services.sessions.delete(tokenHash: viewer.sessionTokenHash) }
            var response = services.redirect(to: "/", flash: "signout.done")
            response.setCookie(services.cookie(SessionMiddleware.sessionCookie, value: "", maxAge: 0))
            return response
        }
        router.get("/account", use: account)
        router.get("/lang/{code}") { request, context in
            let language = Language(rawValue: try context.parameters.require("code")) ?? .default
            var response = services.redirect(to: localRedirectTarget(request.uri.queryParameters["next"].map(String.init)))
            response.setCookie(services.cookie(LanguageMiddleware.cookieName, value: language.rawValue, maxAge: 365 * 24 * 3600))
            return response
        }
    }

    @Sendable func signUp(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormData.from(request)
        let values: [String: Any] = ["email": form["email"], "full_name": form["full_name"], "community_slug": form["community"]]
        guard try await services.rateLimiter.allow(.signUpPerIP, address: context.clientIP) else {
            return try await signUpPage(request, context, values: values, error: AppError(.rateLimited, detailKey: "error.rate-limited.detail"))
        }
        do {
            let community = form["community"].isEmpty ? nil : try await services.communities.require(slug: form["community"])
            let person = try await services.accounts.signUp(
                email: form["email"], fullName: form["full_name"], password: form.raw("password"),
                language: context.language, citizenOf: community?.id, ip: context.clientIP,
                confirmationLinks: services.accountTokens)
            return try await startSession(for: person, context: context, next: community.map { "/\($0.slug)" } ?? "/account", flash: "signup.confirm_sent")
        } catch let error as AppError where error.kind == .validation {
            return try await signUpPage(request, context, values: values, error: error)
        }
    }

    @Sendable func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await FormData.from(request)
        let next = localRedirectTarget(form["next"], fallback: "/account")
        let values: [String: Any] = ["email": form["email"], "next": form["next"]]
        let person: Person
        do {
            person = try await services.signIn(email: form["email"], password: form.raw("password"), ip: context.clientIP,
                                               deviceToken: request.cookies[KnownDevices.cookieName]?.value)
        } catch let error as AppError where error.kind == .rateLimited || error.kind == .unauthorized {
            return signInPage(request, context, values: values, error: error)
        }
        return try await startSession(for: person, context: context, next: next, flash: "signin.welcome")
    }

    @Sendable func account(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let viewer = try context.requireViewer()
        let t = services.catalogue
        let today = services.todayInKyiv
        var memberships: [[String: Any]] = []
        let view = services.documentView(context.language)
        for membership in try await services.memberships(of: viewer) {
            let (community, roles, identity) = (membership.community, membership.roles, membership.identity)
            var entry: [String: Any] = [
                "slug": community.slug, "name": community.name(context.language),
                "roles": roles.map { t.text($0.titleKey, context.language) }.joined(separator: ", "),
            ]
            let documents = try await services.workflow.documents(authoredBy: viewer.person.id, communityID: community.id)
            entry["has_documents"] = !documents.isEmpty
            entry["documents"] = documents.map { document -> [String: Any] in
                var values = view.values(document, communitySlug: community.slug)
                values["href"] = services.workflow.sourcePath(document, communitySlug: community.slug)
                return values
            }
            if let identity {
                entry["verified"] = [
                    "name": identity.fullName, "age": identity.age(on: today),
                    "resident": t.text(identity.isResident ? "account.resident" : "account.not_resident", context.language),
                    "since": KyivTime.day(of: identity.verifiedAt).isoString,
                ] as [String: Any]
            }
            memberships.append(entry)
        }
        let page = Page(
            "account", titleKey: "account.title",
            values: ["name": viewer.person.fullName, "email": viewer.person.email, "memberships": memberships,
                     "unconfirmed": !viewer.emailConfirmed])
        return services.renderer.response(page, request: request, context: context)
    }

    // MARK: - Helpers

    private func startSession(for person: Person, context: AppRequestContext, next: String, flash: String) async throws -> Response {
        try await services.startBrowserSession(for: person, context: context, next: next, flash: flash)
    }

    private func signUpPage(_ request: Request, _ context: AppRequestContext, values: [String: Any], error: AppError? = nil) async throws -> Response {
        var values = values
        let selected = values["community_slug"] as? String ?? ""
        values["communities"] = try await services.communities.all().map {
            ["slug": $0.slug, "name": $0.name(context.language), "selected": $0.slug == selected] as [String: Any]
        }
        values["min_password"] = AccountRules.minimumPasswordLength
        var page = Page("signup", titleKey: "signup.title", values: values)
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func signInPage(_ request: Request, _ context: AppRequestContext, values: [String: Any], error: AppError? = nil) -> Response {
        var page = Page("signin", titleKey: "signin.title", values: values)
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }
}

/// Template values for a form shown again with its errors: `error` (the summary) and
/// `errors.<field>` (the message under each field).
enum FormErrors {
    static func values(_ error: AppError, catalogue: TranslationCatalogue, language: Language) -> [String: Any] {
        var values: [String: Any] = [
            "error": error.detail(catalogue, language) ?? catalogue.text("form.error.summary", language),
            "errors": error.fieldErrors.mapValues { catalogue.text($0, language) },
        ]
        if error.fieldErrors.isEmpty, error.detailKey == nil {
            values["error"] = catalogue.text(error.kind.titleKey, language)
        }
        return values
    }
}
