extension AppServices {
    /// Checks a password under the sign-in limits, for the form and the API alike. Every attempt
    /// counts against the IP address; only failures count against the account, so someone who
    /// knows a person's e-mail cannot cheaply lock them out.
    func signIn(email: String, password: String, ip: String?) async throws -> Person {
        let email = AccountRules.normalizedEmail(email)
        let address = ip ?? "unknown"
        let pair = "\(email)|\(address)"
        guard try await rateLimiter.allow(.signInPerIP, address: ip),
            try await !rateLimiter.isExceeded(.signInFailuresPerAccountAndIP, key: pair),
            try await !rateLimiter.isExceeded(.signInFailuresPerAccount, key: email)
        else { throw AppError(.rateLimited, detailKey: "error.rate-limited.detail") }
        guard let person = try await accounts.authenticate(email: email, password: password) else {
            _ = try await rateLimiter.allow(.signInFailuresPerAccountAndIP, key: pair)
            _ = try await rateLimiter.allow(.signInFailuresPerAccount, key: email)
            throw AppError(.unauthorized, detailKey: "signin.error.invalid")
        }
        return person
    }
}
