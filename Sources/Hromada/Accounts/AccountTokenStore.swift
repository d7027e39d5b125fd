import Foundation
import Postgres

/// Single-use links sent by e-mail: confirming an address and resetting a password.
///
/// The token travels only in the e-mail; the database keeps its SHA-256, so a copy of the
/// database cannot follow a link. A link is used at most once (the `UPDATE … WHERE used_at IS
/// NULL` that consumes it is the only way in), and using one ends every other open link of its
/// kind for the account.
public struct AccountTokenStore: Sendable {
    public enum Kind: String, Sendable {
        case confirmEmail = "confirm_email"
        case resetPassword = "reset_password"

        /// How long a link stays valid: 48 hours to confirm an address, one hour to reset a password.
        public var lifetimeSeconds: Int {
            switch self {
            case .confirmEmail: 48 * 3600
            case .resetPassword: 3600
            }
        }

        /// The path of the page the link opens.
        var path: String {
            switch self {
            case .confirmEmail: "/email/confirm"
            case .resetPassword: "/password/reset"
            }
        }
    }

    /// Why a link cannot be used; each is told to the person on its own page.
    public enum Problem: String, Error, Sendable {
        /// No link has this token: mistyped, cut short or made up.
        case unknown
        /// The link was followed already, or another link of its kind was used after it was sent.
        case used
        /// The link is older than its kind's lifetime.
        case expired
    }

    /// Whom a valid link belongs to.
    public struct Holder: Sendable {
        public var personID: Int
        public var email: String
    }

    let database: PostgresPool
    let outbox: Outbox
    let sessions: SessionStore
    let rateLimiter: RateLimiter

    // MARK: - Issuing

    /// Makes a link of `kind` for the person at `email`, in the caller's transaction, and mails it
    /// (`mail.confirm_email` or `mail.reset_password`) in their language.
    func issue(_ kind: Kind, to recipient: Outbox.Recipient, personID: Int, on session: PostgresSession) async throws {
        let token = Crypto.randomToken()
        try await session.query(
            """
            INSERT INTO account_tokens (kind, person_id, email, token_hash, expires_at)
            VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
            """, kind.rawValue, personID, recipient.email, Data(SessionStore.hash(token)), kind.lifetimeSeconds)
        // Account mail belongs to the person, not to a community: no community's administrators
        // read it in their outbox view, since its link confirms or takes over the account.
        try await outbox.send(
            kind.rawValue, to: recipient, values: ["url": "\(kind.path)?token=\(token)", "email": recipient.email],
            communityID: nil, on: session)
    }

    /// Sends a new confirmation link to a signed-in person whose address is not confirmed yet,
    /// at most ``RateLimiter/Rule/confirmationResendPerAccount`` times a window. Returns `false`
    /// when the address is confirmed already; throws `rateLimited` past the limit.
    public func resendConfirmation(to viewer: Viewer, ip: String?) async throws -> Bool {
        let confirmed = try await database.query(
            "SELECT email_confirmed_at IS NOT NULL AS confirmed FROM people WHERE id = $1", viewer.person.id
        ).first?.decode("confirmed", as: Bool.self) ?? true
        guard !confirmed else { return false }
        let rule = RateLimiter.Rule.confirmationResendPerAccount
        guard try await rateLimiter.allow(rule, key: String(viewer.person.id)) else {
            throw AppError(.rateLimited, detailKey: "error.rate-limited.detail",
                           retryAfterSeconds: RateLimiter.secondsLeft(inWindowOf: rule.windowSeconds))
        }
        try await database.transaction { session in
            guard let recipient = try await Outbox.recipient(personID: viewer.person.id, on: session) else { return }
            try await issue(.confirmEmail, to: recipient, personID: viewer.person.id, on: session)
            try await AuditLog.record(
                AuditEntry(actorID: viewer.person.id, communityID: nil, action: "account.confirmation_resend", objectType: "person",
                           objectID: String(viewer.person.id), summary: "confirmation link sent again", ip: ip), on: session)
        }
        return true
    }

    /// Mails a password reset link to the account at `email`, if there is one and it has not had
    /// ``RateLimiter/Rule/passwordResetPerAccount`` links this window. It returns the same way
    /// whether or not the account exists or the limit was reached, so the caller's answer cannot
    /// tell anyone which addresses have accounts. Links already sent stay valid when the limit
    /// refuses a new one, so the owner still has a working link however often others ask.
    public func requestPasswordReset(email: String, ip: String?) async throws {
        let email = AccountRules.normalizedEmail(email)
        guard AccountRules.isPlausibleEmail(email),
            let row = try await database.query("SELECT id, locale FROM people WHERE email = $1", email).first
        else { return }
        let personID: Int = try row.decode("id")
        guard try await rateLimiter.allow(.passwordResetPerAccount, key: String(personID)) else { return }
        try await database.transaction { session in
            guard let recipient = try await Outbox.recipient(personID: personID, on: session) else { return }
            try await issue(.resetPassword, to: recipient, personID: personID, on: session)
            try await AuditLog.record(
                AuditEntry(actorID: nil, communityID: nil, action: "account.reset_request", objectType: "person",
                           objectID: String(personID), summary: "password reset link sent", ip: ip), on: session)
        }
    }

    // MARK: - Following a link

    /// Whose link `token` is, or why it cannot be used; changes nothing.
    public func holder(of token: String, kind: Kind) async throws -> Result<Holder, Problem> {
        let rows = try await database.query(
            """
            SELECT person_id, email::text, used_at IS NOT NULL AS used, expires_at <= now() AS expired
            FROM account_tokens WHERE token_hash = $1 AND kind = $2
            """, Data(SessionStore.hash(token)), kind.rawValue)
        guard let row = rows.first else { return .failure(.unknown) }
        if try row.decode("used", as: Bool.self) { return .failure(.used) }
        if try row.decode("expired", as: Bool.self) { return .failure(.expired) }
        return .success(Holder(personID: try row.decode("person_id"), email: try row.decode("email")))
    }

    /// Uses a confirmation link: the address it was sent to becomes confirmed, and every other
    /// confirmation link of the account stops working. A used, expired or unknown link changes nothing.
    public func confirmEmail(token: String, ip: String?) async throws -> Result<Person, Problem> {
        let outcome: Result<Person, Problem>
        do {
            outcome = try await database.transaction { session in
            guard let holder = try await consume(token, kind: .confirmEmail, on: session) else {
                return .failure(try await problem(with: token, kind: .confirmEmail, on: session))
            }
            // The address must still be the account's: a link to an address since replaced confirms nothing.
            guard let row = try await session.query(
                """
                UPDATE people SET email_confirmed_at = coalesce(email_confirmed_at, now())
                WHERE id = $1 AND email = $2 RETURNING id, email::text, full_name, locale
                """, holder.personID, holder.email).first
            else { throw Problem.used }
            try await session.query(
                "UPDATE account_tokens SET used_at = now() WHERE person_id = $1 AND kind = $2 AND used_at IS NULL",
                holder.personID, Kind.confirmEmail.rawValue)
            try await AuditLog.record(
                AuditEntry(actorID: holder.personID, communityID: nil, action: "account.email_confirm", objectType: "person",
                           objectID: String(holder.personID), summary: "e-mail address confirmed", ip: ip), on: session)
            return .success(try AccountStore.person(row))
            }
        } catch let problem as Problem {
            outcome = .failure(problem)
        }
        if case .success(let person) = outcome { await sessions.forget(personID: person.id) }
        return outcome
    }

    /// Uses a reset link: sets the new password (hashed by the caller), confirms the address the
    /// link reached, ends every session of the account but `keepingSession` (the browser that
    /// resets, when it is signed in to this same account), stops the account's other reset links
    /// and mails the person that their password changed. Nothing changes when the link cannot be used.
    public func resetPassword(
        token: String, passwordHash: String, keepingSession: (personID: Int, tokenHash: [UInt8])?, ip: String?
    ) async throws -> Result<Person, Problem> {
        let outcome: Result<Person, Problem> = try await database.transaction { session in
            guard let holder = try await consume(token, kind: .resetPassword, on: session) else {
                return .failure(try await problem(with: token, kind: .resetPassword, on: session))
            }
            let row = try await session.query(
                """
                UPDATE people SET password_hash = $2, email_confirmed_at = coalesce(email_confirmed_at, now())
                WHERE id = $1 RETURNING id, email::text, full_name, locale
                """, holder.personID, passwordHash)[0]
            let person = try AccountStore.person(row)
            try await session.query(
                "UPDATE account_tokens SET used_at = now() WHERE person_id = $1 AND kind = $2 AND used_at IS NULL",
                holder.personID, Kind.resetPassword.rawValue)
            let kept = keepingSession?.personID == holder.personID ? Data(keepingSession!.tokenHash) : Data()
            try await session.query("DELETE FROM sessions WHERE person_id = $1 AND token_hash <> $2", holder.personID, kept)
            try await outbox.send(
                "password_changed", to: Outbox.Recipient(personID: person.id, email: person.email, language: person.language),
                values: ["email": person.email, "url": "/password/forgot"], communityID: nil, on: session)
            try await AuditLog.record(
                AuditEntry(actorID: holder.personID, communityID: nil, action: "account.password_reset", objectType: "person",
                           objectID: String(holder.personID), summary: "password set through a reset link; other sessions ended",
                           ip: ip), on: session)
            return .success(person)
        }
        // After the commit: every process drops the sessions it cached for the person.
        if case .success(let person) = outcome { await sessions.forget(personID: person.id) }
        return outcome
    }

    /// Marks the link used if it is open, returning whose it is; `nil` when it was not open.
    private func consume(_ token: String, kind: Kind, on session: PostgresSession) async throws -> Holder? {
        try await session.query(
            """
            UPDATE account_tokens SET used_at = now()
            WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now()
            RETURNING person_id, email::text
            """, Data(SessionStore.hash(token)), kind.rawValue
        ).first.map { Holder(personID: try $0.decode("person_id"), email: try $0.decode("email")) }
    }

    private func problem(with token: String, kind: Kind, on session: PostgresSession) async throws -> Problem {
        let rows = try await session.query(
            "SELECT used_at IS NOT NULL AS used FROM account_tokens WHERE token_hash = $1 AND kind = $2",
            Data(SessionStore.hash(token)), kind.rawValue)
        guard let row = rows.first else { return .unknown }
        return try row.decode("used", as: Bool.self) ? .used : .expired
    }

    /// Deletes links that ended more than a week ago.
    static func prune(on session: PostgresSession) async throws {
        try await session.query("DELETE FROM account_tokens WHERE expires_at < now() - interval '7 days'")
    }
}
