import Foundation
@testable import Hromada
import HTTPTypes
import Postgres
import Testing

/// E-mail confirmation and password reset, through the pages and the outbox as a person meets them.
@Suite struct AccountLinkTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "account_links") }

    // MARK: - E-mail confirmation

    @Test func signUpMailsALinkAndTheUnconfirmedAccountReadsButCannotWrite() async throws {
        let services = try await services()
        let email = "unconfirmed.\(UUID().uuidString.prefix(8).lowercased())@example.ua"
        let petition = try await Fixtures.collectingPetition(services)
        let path = "/khmelnytskyi/petitions/\(petition.id)"
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/signup?community=khmelnytskyi")
            let created = try await browser.post(
                "/signup", form: ["email": email, "full_name": "Ірина Коваль", "password": "very secret words", "community": "khmelnytskyi"])
            #expect(created.status == .seeOther)
            let welcome = try await browser.get(created.location ?? "/")
            #expect(welcome.body.contains("Ми надіслали на вашу адресу посилання для підтвердження"))

            // Reading works: the petition and the person's own account.
            #expect(try await browser.get(path).status == .ok)
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.body.contains("Адресу електронної пошти не підтверджено"))
            #expect(account.body.contains(#"action="/email/confirm/resend""#))

            // Writing does not: a clear refusal that offers the link again.
            try await browser.get(path)
            let refused = try await browser.post("\(path)/sign", form: [:])
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains("Спершу підтвердьте адресу електронної пошти"))
            #expect(refused.body.contains(#"action="/email/confirm/resend""#))
            #expect(refused.body.contains(email))
            try await browser.get("/khmelnytskyi/appeals")
            let appeal = try await browser.post(
                "/khmelnytskyi/appeals", form: ["topic": "other", "subject": "Тема", "text": "Текст звернення для перевірки."])
            #expect(appeal.status == .forbidden)
            #expect(appeal.body.contains("Спершу підтвердьте адресу електронної пошти"))
            // Signing out stays open.
            try await browser.get("/account")
            #expect(try await browser.post("/signout", form: [:]).status == .seeOther)
        }
        let person = try #require(try await services.accounts.person(email: email))
        #expect(try await Self.confirmed(person.id, services) == false)
        let mails = try await Self.mails(to: email, containing: "/email/confirm?token=", services)
        #expect(mails.count == 1)
        let token = try #require(Self.token(in: mails[0]))
        // Only the token's hash is stored.
        let stored = try await services.database.query(
            """
            SELECT count(*) FILTER (WHERE token_hash = sha256(convert_to($2, 'UTF8'))) AS by_hash,
                   count(*) FILTER (WHERE position(convert_to($2, 'UTF8') IN token_hash) > 0) AS in_clear
            FROM account_tokens WHERE person_id = $1 AND kind = 'confirm_email' AND expires_at BETWEEN now() + interval '47 hours' AND now() + interval '48 hours'
            """, person.id, token)[0]
        #expect(try stored.decode("by_hash", as: Int.self) == 1, "valid 48 hours, kept as its SHA-256")
        #expect(try stored.decode("in_clear", as: Int.self) == 0)
        #expect(try await Self.count("SELECT count(*)::int AS n FROM appeals WHERE author_id = $1", person.id, services) == 0)
        #expect(try await Self.count("SELECT count(*)::int AS n FROM petition_signatures WHERE person_id = $1", person.id, services) == 0)

        // The API refuses the same way, as a problem document.
        let session = try await services.sessions.create(personID: person.id, kind: .api, ip: nil, userAgent: nil)
        try await TestApp.withBrowser(services) { client in
            let signed = try await client.send(
                "/api/v1/khmelnytskyi/petitions/\(petition.id)/signatures", method: .post,
                headers: [.authorization: "Bearer \(session.token)"], body: nil)
            #expect(signed.status == .forbidden)
            #expect(signed.headers[.contentType] == "application/problem+json")
            #expect(signed.body.contains(#""type":"\/problems\/email-unconfirmed""#))
            let me = try await client.send("/api/v1/me", method: .get, headers: [.authorization: "Bearer \(session.token)"], body: nil)
            #expect(me.status == .ok, "reading with the token still works")
        }
    }

    @Test func aVerifiedResidentSignsOnlyOnceTheAddressIsConfirmed() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services)
        let residentID = try await Fixtures.residents(1, services)[0].person.id
        let email: String = try await services.database.query(
            "UPDATE people SET email_confirmed_at = NULL WHERE id = $1 RETURNING email::text", residentID)[0].decode("email")
        let session = try await services.sessions.create(personID: residentID, kind: .browser, ip: nil, userAgent: nil)
        let path = "/khmelnytskyi/petitions/\(petition.id)"
        try await TestApp.withBrowser(services) { browser in
            browser.setCookie("hromada_session", session.token)
            try await browser.get(path)
            #expect(try await browser.post("\(path)/sign", form: [:]).status == .forbidden)
            try await browser.get("/account")
            let resent = try await browser.post("/email/confirm/resend", form: [:])
            #expect(resent.status == .seeOther)
            #expect(try await browser.get("/account").body.contains("Ми надіслали нове посилання для підтвердження"))

            let mail = try #require(try await Self.mails(to: email, containing: "/email/confirm?token=", services).last)
            let token = try #require(Self.token(in: mail))
            let page = try await browser.get("/email/confirm?token=\(token)")
            #expect(page.status == .ok)
            #expect(page.body.contains(email))
            #expect(!page.body.contains(#"name="sign_in""#), "already signed in here: nothing to choose")
            #expect(try await Self.confirmed(residentID, services) == false, "opening the link changes nothing")
            let confirmed = try await browser.post("/email/confirm", form: ["token": token])
            #expect(confirmed.status == .seeOther)
            #expect(confirmed.location == "/account")
            #expect(try await Self.confirmed(residentID, services))

            try await browser.get(path)
            let signed = try await browser.post("\(path)/sign", form: [:])
            #expect(signed.status == .seeOther, "the cached session saw the confirmation at once")
        }
        #expect(try await Self.count(
            "SELECT count(*)::int AS n FROM petition_signatures WHERE person_id = $1", residentID, services) == 1)
    }

    @Test func aConfirmationLinkWorksOnceAndBadLinksChangeNothing() async throws {
        let services = try await services()
        let (person, token) = try await Self.unconfirmedAccount(services)
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/signin")
            let forged = try await browser.get("/email/confirm?token=\(Crypto.randomToken())")
            #expect(forged.status == .notFound)
            #expect(forged.body.contains("Посилання недійсне"))
            #expect(forged.body.contains("Нічого не змінено"))
            let forgedPost = try await browser.post("/email/confirm", form: ["token": "forged"])
            #expect(forgedPost.status == .notFound)
            #expect(try await Self.confirmed(person.id, services) == false)

            try await browser.get("/email/confirm?token=\(token)")
            let used = try await browser.post("/email/confirm", form: ["token": token])
            #expect(used.status == .seeOther)
            #expect(browser.cookies["hromada_session"] == nil, "another browser signs in only when asked to")
            #expect(used.location == "/signin")
            let confirmedAt = try await Self.confirmedAt(person.id, services)
            #expect(confirmedAt != nil)

            let again = try await browser.post("/email/confirm", form: ["token": token])
            #expect(again.status == .gone)
            #expect(again.body.contains("Посилання вже використано"))
            #expect(try await browser.get("/email/confirm?token=\(token)").status == .gone)
            #expect(try await Self.confirmedAt(person.id, services) == confirmedAt)
        }

        // An expired link: refused, nothing changed.
        let (late, lateToken) = try await Self.unconfirmedAccount(services)
        try await services.database.query(
            "UPDATE account_tokens SET created_at = now() - interval '49 hours', expires_at = now() - interval '1 hour' WHERE person_id = $1",
            late.id)
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/signin")
            let page = try await browser.get("/email/confirm?token=\(lateToken)")
            #expect(page.status == .gone)
            #expect(page.body.contains("Посилання застаріло"))
            #expect(page.body.contains("48 годин"))
            let post = try await browser.post("/email/confirm", form: ["token": lateToken])
            #expect(post.status == .gone)
        }
        #expect(try await Self.confirmed(late.id, services) == false)
        #expect(try await Self.count(
            "SELECT count(*)::int AS n FROM account_tokens WHERE person_id = $1 AND used_at IS NOT NULL", late.id, services) == 0)
    }

    @Test func aLinkOpenedInAnotherBrowserSignsInOnlyWhenChosen() async throws {
        let services = try await services()
        let (person, token) = try await Self.unconfirmedAccount(services)
        try await TestApp.withBrowser(services) { browser in
            let page = try await browser.get("/email/confirm?token=\(token)")
            #expect(page.body.contains(#"name="sign_in" value="yes""#))
            #expect(!page.body.contains("checked"), "signing in is not the default")
            let confirmed = try await browser.post("/email/confirm", form: ["token": token, "sign_in": "yes"])
            #expect(confirmed.status == .seeOther)
            #expect(confirmed.location == "/account")
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.body.contains(person.email))
            #expect(!account.body.contains("Адресу електронної пошти не підтверджено"))
        }
    }

    @Test func resendingTheLinkIsLimited() async throws {
        let services = try await services()
        let (person, _) = try await Self.unconfirmedAccount(services)
        let session = try await services.sessions.create(personID: person.id, kind: .browser, ip: nil, userAgent: nil)
        let limit = RateLimiter.Rule.confirmationResendPerAccount.limit
        try await TestApp.withBrowser(services) { browser in
            browser.setCookie("hromada_session", session.token)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<(limit + 2) {
                try await browser.get("/account")
                statuses.append(try await browser.post("/email/confirm/resend", form: [:]).status)
            }
            #expect(statuses.prefix(limit).allSatisfy { $0 == .seeOther })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
        }
        #expect(try await Self.mails(to: person.email, containing: "/email/confirm?token=", services).count == 1 + limit)

        // A confirmed person is told so and sent nothing.
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            try await browser.get("/account")
            let already = try await browser.post("/email/confirm/resend", form: [:])
            #expect(already.status == .seeOther)
            #expect(try await browser.get("/account").body.contains("Вашу адресу вже підтверджено"))
        }
        #expect(try await Self.mails(to: "citizen@khmelnytskyi.demo", containing: "/email/confirm?token=", services).isEmpty)
    }

    // MARK: - Password reset

    @Test func theSignInPageLeadsToTheForgottenPasswordForm() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            #expect(try await browser.get("/signin").body.contains(#"<a href="/password/forgot">Забули пароль?</a>"#))
            let form = try await browser.get("/password/forgot")
            #expect(form.status == .ok)
            #expect(form.body.contains(#"<label for="email">"#))
            let bad = try await browser.post("/password/forgot", form: ["email": "not an address"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains(#"aria-invalid="true""#))
        }
    }

    @Test func aResetForAnUnknownAddressAnswersTheSameAndSendsNothing() async throws {
        let services = try await services()
        let known = try await Self.account(services)
        let unknown = "nobody.\(UUID().uuidString.prefix(8).lowercased())@example.ua"
        func answer(_ email: String) async throws -> (HTTPResponse.Status, String) {
            try await TestApp.withBrowser(services) { browser in
                try await browser.get("/password/forgot")
                let page = try await browser.post("/password/forgot", form: ["email": email])
                let body = page.body.replacingOccurrences(of: email, with: "EMAIL")
                    .replacingOccurrences(of: #"value="[A-Za-z0-9_-]{20,}""#, with: #"value="TOKEN""#, options: .regularExpression)
                return (page.status, body)
            }
        }
        let (knownStatus, knownBody) = try await answer(known.email)
        let (unknownStatus, unknownBody) = try await answer(unknown)
        #expect(knownStatus == .ok && unknownStatus == .ok)
        #expect(knownBody == unknownBody)
        #expect(knownBody.contains("Якщо обліковий запис з адресою"))
        #expect(try await Self.mails(to: known.email, containing: "/password/reset?token=", services).count == 1)
        #expect(try await Self.count("SELECT count(*)::int AS n FROM outbox_messages WHERE to_address = $1", unknown, services) == 0)
    }

    @Test func aResetLinkWorksOnceEndsOtherSessionsAndTellsThePerson() async throws {
        let services = try await services()
        let person = try await Self.account(services)
        let apiSession = try await services.sessions.create(personID: person.id, kind: .api, ip: nil, userAgent: nil)
        try await TestApp.withBrowser(services) { other in
            #expect(try await other.signIn(person.email, password: Self.password).status == .seeOther)
            #expect(try await other.get("/account").status == .ok)

            let token = try await TestApp.withBrowser(services) { browser in
                try await browser.get("/password/forgot")
                try await browser.post("/password/forgot", form: ["email": person.email.uppercased()])
                let mail = try #require(try await Self.mails(to: person.email, containing: "/password/reset?token=", services).last)
                let token = try #require(Self.token(in: mail))
                let form = try await browser.get("/password/reset?token=\(token)")
                #expect(form.status == .ok)
                #expect(form.body.contains(#"autocomplete="new-password""#))
                let short = try await browser.post("/password/reset", form: ["token": token, "password": "short"])
                #expect(short.status == .unprocessableContent)
                #expect(short.body.contains("Пароль має містити від 10 до 200 символів"))
                let reset = try await browser.post("/password/reset", form: ["token": token, "password": "a brand new password"])
                #expect(reset.status == .seeOther)
                #expect(reset.location == "/signin")
                let reused = try await browser.post("/password/reset", form: ["token": token, "password": "yet another password"])
                #expect(reused.status == .gone)
                #expect(reused.body.contains("Посилання вже використано"))
                return token
            }
            #expect(!token.isEmpty)
            #expect(try await other.get("/account").status == .unauthorized, "the other browser's session has ended")
        }
        try await TestApp.withBrowser(services) { client in
            let me = try await client.send("/api/v1/me", method: .get, headers: [.authorization: "Bearer \(apiSession.token)"], body: nil)
            #expect(me.status == .unauthorized, "and so has the API token")
        }
        await #expect(throws: AppError.self) { try await services.signIn(email: person.email, password: "yet another password", ip: "192.0.2.50") }
        await #expect(throws: AppError.self) { try await services.signIn(email: person.email, password: Self.password, ip: "192.0.2.50") }
        #expect(try await services.signIn(email: person.email, password: "a brand new password", ip: "192.0.2.50").id == person.id)
        let changed = try await services.database.query(
            "SELECT subject, body FROM outbox_messages WHERE person_id = $1 AND subject = 'Пароль змінено'", person.id)
        #expect(changed.count == 1)
        #expect(try changed.first?.decode("body", as: String.self).contains("всі інші входи завершено") == true)
    }

    @Test func resettingWhileSignedInKeepsThisBrowserAndEndsTheOthers() async throws {
        let services = try await services()
        let person = try await Self.account(services)
        let elsewhere = try await services.sessions.create(personID: person.id, kind: .browser, ip: nil, userAgent: nil)
        try await services.accountTokens.requestPasswordReset(email: person.email, ip: "192.0.2.80")
        let mail = try #require(try await Self.mails(to: person.email, containing: "/password/reset?token=", services).last)
        let token = try #require(Self.token(in: mail))
        try await TestApp.withBrowser(services) { browser in
            #expect(try await browser.signIn(person.email, password: Self.password).status == .seeOther)
            try await browser.get("/password/reset?token=\(token)")
            let reset = try await browser.post("/password/reset", form: ["token": token, "password": "a brand new password"])
            #expect(reset.status == .seeOther)
            #expect(reset.location == "/account")
            #expect(try await browser.get("/account").status == .ok, "the browser that reset stays signed in")
        }
        #expect(try await services.sessions.viewer(forToken: elsewhere.token) == nil, "every other session has ended")
        #expect(try await Self.count("SELECT count(*)::int AS n FROM sessions WHERE person_id = $1", person.id, services) == 1)
    }

    @Test func aResetLinkExpiresAfterAnHour() async throws {
        let services = try await services()
        let person = try await Self.account(services)
        try await services.accountTokens.requestPasswordReset(email: person.email, ip: "192.0.2.60")
        let mail = try #require(try await Self.mails(to: person.email, containing: "/password/reset?token=", services).last)
        let token = try #require(Self.token(in: mail))
        let lifetime = try await services.database.query(
            "SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM account_tokens WHERE person_id = $1 AND kind = 'reset_password'",
            person.id)[0].decode("seconds", as: Int.self)
        #expect(lifetime == 3600)
        let before = try await Self.passwordHash(person.id, services)
        try await services.database.query(
            "UPDATE account_tokens SET created_at = now() - interval '61 minutes', expires_at = now() - interval '1 minute' WHERE person_id = $1",
            person.id)
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/password/forgot")
            let page = try await browser.get("/password/reset?token=\(token)")
            #expect(page.status == .gone)
            #expect(page.body.contains("Посилання застаріло"))
            #expect(page.body.contains(#"href="/password/forgot""#))
            let post = try await browser.post("/password/reset", form: ["token": token, "password": "a brand new password"])
            #expect(post.status == .gone)
            let forged = try await browser.post("/password/reset", form: ["token": Crypto.randomToken(), "password": "a brand new password"])
            #expect(forged.status == .notFound)
        }
        #expect(try await Self.passwordHash(person.id, services) == before)
    }

    @Test func aHundredResetRequestsAreLimitedAndTheOwnersLinkStillWorks() async throws {
        let services = try await services()
        let person = try await Self.account(services)
        for attempt in 0..<100 {
            // From many addresses, as a spread-out attack would come.
            try await services.accountTokens.requestPasswordReset(email: person.email, ip: "198.51.100.\(attempt)")
        }
        let mails = try await Self.mails(to: person.email, containing: "/password/reset?token=", services)
        #expect(mails.count == RateLimiter.Rule.passwordResetPerAccount.limit)
        let tokens = mails.compactMap(Self.token(in:))
        let latest = try #require(tokens.last)
        try await TestApp.withBrowser(services) { (browser: Browser) async throws in
            #expect(try await browser.get("/password/reset?token=\(latest)").status == .ok)
            #expect(try await browser.post("/password/reset", form: ["token": latest, "password": "the owner's new password"]).status == .seeOther)
            // Setting the password ends the account's other reset links.
            for earlier in tokens.dropLast() {
                #expect(try await browser.get("/password/reset?token=\(earlier)").status == .gone)
            }
        }
        #expect(try await services.signIn(email: person.email, password: "the owner's new password", ip: "192.0.2.70").id == person.id)
    }

    // MARK: - Helpers

    static let password = "the first password"

    /// A new confirmed account with ``password``.
    static func account(_ services: AppServices) async throws -> Person {
        try await services.accounts.signUp(
            email: "reset.\(UUID().uuidString.prefix(8).lowercased())@example.ua", fullName: "Марія Бондар", password: password,
            language: .uk, citizenOf: nil, ip: nil)
    }

    /// A new account as the sign-up form makes it, with the token of the link it was mailed.
    static func unconfirmedAccount(_ services: AppServices) async throws -> (Person, String) {
        let person = try await services.accounts.signUp(
            email: "confirm.\(UUID().uuidString.prefix(8).lowercased())@example.ua", fullName: "Петро Сидоренко", password: password,
            language: .uk, citizenOf: nil, ip: nil, confirmationLinks: services.accountTokens)
        let mail = try #require(try await mails(to: person.email, containing: "/email/confirm?token=", services).first)
        return (person, try #require(token(in: mail)))
    }

    static func mails(to address: String, containing fragment: String, _ services: AppServices) async throws -> [String] {
        try await services.database.query(
            "SELECT body FROM outbox_messages WHERE to_address = $1 AND position($2 IN body) > 0 ORDER BY id", address, fragment
        ).map { try $0.decode("body") }
    }

    /// The token of the first link in a message.
    static func token(in body: String) -> String? {
        guard let range = body.range(of: #"\?token=[A-Za-z0-9_-]+"#, options: .regularExpression) else { return nil }
        return String(body[range].dropFirst("?token=".count))
    }

    static func confirmed(_ personID: Int, _ services: AppServices) async throws -> Bool {
        try await confirmedAt(personID, services) != nil
    }

    static func confirmedAt(_ personID: Int, _ services: AppServices) async throws -> Date? {
        try await services.database.query("SELECT email_confirmed_at FROM people WHERE id = $1", personID)[0].decode("email_confirmed_at")
    }

    static func passwordHash(_ personID: Int, _ services: AppServices) async throws -> String {
        try await services.database.query("SELECT password_hash FROM people WHERE id = $1", personID)[0].decode("password_hash")
    }

    static func count(_ sql: String, _ parameter: Int, _ services: AppServices) async throws -> Int {
        try await services.database.query(sql, parameter)[0].decode("n")
    }

    static func count(_ sql: String, _ parameter: String, _ services: AppServices) async throws -> Int {
        try await services.database.query(sql, parameter)[0].decode("n")
    }
}

/// The per-address limit on reset requests, in a database of its own (the test router has no
/// client address, so every request there shares one).
@Suite struct PasswordResetAddressLimitTests {
    @Test func oneAddressIsToldToWaitWhateverItAsksFor() async throws {
        let services = try await TestApp.services(suite: "reset_address_limit")
        let limit = RateLimiter.Rule.passwordResetPerIP.limit
        try await TestApp.withBrowser(services) { browser in
            var statuses: [HTTPResponse.Status] = []
            for attempt in 0..<limit {
                try await browser.get("/password/forgot")
                statuses.append(try await browser.post("/password/forgot", form: ["email": "guess\(attempt)@example.ua"]).status)
            }
            #expect(statuses.prefix(limit).allSatisfy { $0 == .ok })
            let refused = try await browser.post("/password/forgot", form: ["email": "citizen@khmelnytskyi.demo"])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
        }
        #expect(try await services.database.query(
            "SELECT count(*)::int AS n FROM outbox_messages WHERE to_address = 'citizen@khmelnytskyi.demo' AND body LIKE '%/password/reset?token=%'"
        )[0].decode("n", as: Int.self) == 0)
    }
}
