import Hummingbird

extension AppServices {
    /// Checks a password under the sign-in limits, for the form and the API alike.
    ///
    /// From a device that signed in to this account before (`deviceToken`, the ``KnownDevices``
    /// cookie) only that device's own failures and the known devices' attempts from its address
    /// count, so failures anywhere else cannot lock the owner out. From any other device every attempt counts against its address (IPv6 by /64),
    /// and failures against the account and the account at that address; only those unknown
    /// devices are refused when the account's brake is on.
    func signIn(email: String, password: String, ip: String?, deviceToken: String? = nil) async throws -> Person {
        let email = AccountRules.normalizedEmail(email)
        if let device = knownDevices.device(in: deviceToken, for: email) {
            // Known devices' attempts have their own count per address, so that minting device
            // cookies for one's own account cannot buy unlimited password checks.
            guard try await rateLimiter.allow(.signInKnownDevicesPerIP, address: ip) else { throw Self.signInRefusal(.signInKnownDevicesPerIP) }
            let rule = RateLimiter.Rule.signInFailuresPerKnownDevice
            guard try await !rateLimiter.isExceeded(rule, key: device) else { throw Self.signInRefusal(rule) }
            guard let person = try await accounts.authenticate(email: email, password: password) else {
                _ = try await rateLimiter.allow(rule, key: device)
                throw AppError(.unauthorized, detailKey: "signin.error.invalid")
            }
            return person
        }
        let address = ip.map(RateLimiter.addressKey) ?? "unknown"
        let failureBrakes: [(RateLimiter.Rule, key: String)] = [(.signInFailuresPerAccountAndIP, "\(email)|\(address)"), (.signInFailuresPerAccount, email)]
        guard try await rateLimiter.allow(.signInPerIP, address: ip) else { throw Self.signInRefusal(.signInPerIP) }
        for (rule, key) in failureBrakes where try await rateLimiter.isExceeded(rule, key: key) {
            throw Self.signInRefusal(rule)
        }
        guard let person = try await accounts.authenticate(email: email, password: password) else {
            for (rule, key) in failureBrakes { _ = try await rateLimiter.allow(rule, key: key) }
            throw AppError(.unauthorized, detailKey: "signin.error.invalid")
        }
        return person
    }

    /// Signs `person` in on this browser: a new session cookie, the ``KnownDevices`` cookie, and a
    /// redirect to `next` with the one-time message `flash`.
    func startBrowserSession(for person: Person, context: AppRequestContext, next: String, flash: String) async throws -> Response {
        let session = try await sessions.create(personID: person.id, kind: .browser, ip: context.clientIP, userAgent: nil)
        var response = redirect(to: next, flash: flash)
        response.setCookie(cookie(SessionMiddleware.sessionCookie, value: session.token, maxAge: SessionStore.browserLifetimeSeconds))
        response.setCookie(knownDeviceCookie(for: person))
        return response
    }

    private static func signInRefusal(_ rule: RateLimiter.Rule) -> AppError {
        AppError(.rateLimited, detailKey: "error.rate-limited.detail", retryAfterSeconds: RateLimiter.secondsLeft(inWindowOf: rule.windowSeconds))
    }
}
