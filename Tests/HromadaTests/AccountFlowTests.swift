import Foundation
@testable import Hromada
import HTTPTypes
import Postgres
import Testing

@Suite struct AccountFlowTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "accounts") }

    func peopleCount(_ services: AppServices, email: String) async throws -> Int {
        try await services.database.query("SELECT count(*) AS n FROM people WHERE email = $1", email)[0].decode("n")
    }

    @Test func signUpSignOutAndSignInAgain() async throws {
        let services = try await services()
        let email = "olena.\(UUID().uuidString.prefix(8))@example.ua"
        try await TestApp.withBrowser(services) { browser in
            let form = try await browser.get("/signup?community=khmelnytskyi")
            #expect(form.status == .ok)
            #expect(form.body.contains(#"<option value="khmelnytskyi" selected>"#))
            let created = try await browser.post(
                "/signup", form: ["email": email, "full_name": "Олена Петренко", "password": "very secret words", "community": "khmelnytskyi"])
            #expect(created.status == .seeOther)
            #expect(created.location == "/khmelnytskyi")
            #expect(browser.cookies["hromada_session"] != nil)
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.body.contains("Олена Петренко"))
            #expect(account.body.contains("Мешканець"), "signing up from a community makes a citizen of it")

            try await browser.post("/signout", form: [:])
            #expect(browser.cookies["hromada_session"] == nil)
            #expect(try await browser.get("/account").status == .unauthorized)

            let wrong = try await browser.signIn(email, password: "not the password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.body.contains("Невірна адреса або пароль"))
            let right = try await browser.signIn(email.uppercased(), password: "very secret words")
            #expect(right.status == .seeOther)
            #expect(try await browser.get("/account").status == .ok)
        }
        #expect(try await peopleCount(services, email: email) == 1)
    }

    @Test func badSignUpRedisplaysTheFormAndChangesNothing() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/signup")
            let page = try await browser.post("/signup", form: ["email": "nobody-at-all", "full_name": "Хтось", "password": "short"])
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("Вкажіть коректну адресу електронної пошти"))
            #expect(page.body.contains("Пароль має містити від 10 до 200 символів"))
            #expect(page.body.contains(#"value="Хтось""#), "what the person typed is kept")
            #expect(browser.cookies["hromada_session"] == nil)

            let taken = try await browser.post(
                "/signup", form: ["email": "citizen@khmelnytskyi.demo", "full_name": "Двійник", "password": "0123456789abc"])
            #expect(taken.status == .unprocessableContent)
            #expect(taken.body.contains("Обліковий запис з цією адресою вже існує"))
        }
        #expect(try await peopleCount(services, email: "nobody-at-all") == 0)
        #expect(try await services.database.query("SELECT count(*) AS n FROM people WHERE full_name = 'Двійник'")[0].decode("n", as: Int.self) == 0)
    }

    @Test func languageSwitchShowsEnglish() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            #expect(try await browser.get("/khmelnytskyi").body.contains("Електронні петиції"))
            let switched = try await browser.get("/lang/en?next=%2Fkhmelnytskyi")
            #expect(switched.status == .seeOther)
            #expect(switched.location == "/khmelnytskyi")
            let english = try await browser.get("/khmelnytskyi")
            #expect(english.body.contains("E-petitions"))
            #expect(english.body.contains(#"<html lang="en">"#))
            #expect(try await browser.get("/lang/uk?next=https%3A%2F%2Fevil.example").location == "/", "no open redirect")
        }
    }

    @Test func acceptLanguagePicksEnglishForNewVisitors() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            let page = try await browser.get("/", headers: [.acceptLanguage: "en-GB,en;q=0.9"])
            #expect(page.body.contains("Communities"))
        }
    }

    @Test func signInIsRateLimitedPerAccount() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<11 {
                statuses.append(try await browser.signIn("moderator@khmelnytskyi.demo", password: "wrong password").status)
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)
            // Even the right password is refused until the window passes.
            #expect(try await browser.signIn("moderator@khmelnytskyi.demo").status == .tooManyRequests)
        }
    }
}

@Suite struct SignInLimitTests {
    @Test func failuresLockOneAddressOutButNotThePerson() async throws {
        let services = try await TestApp.services(suite: "signin_limits")
        for _ in 0..<10 {
            await #expect(throws: AppError.self) {
                try await services.signIn(email: "official@khmelnytskyi.demo", password: "guess", ip: "198.51.100.66")
            }
        }
        let locked = await #expect(throws: AppError.self) {
            try await services.signIn(email: "official@khmelnytskyi.demo", password: DemoData.password, ip: "198.51.100.66")
        }
        #expect(locked?.kind == .rateLimited)
        let elsewhere = try await services.signIn(email: "official@khmelnytskyi.demo", password: DemoData.password, ip: "203.0.113.5")
        #expect(elsewhere.email == "official@khmelnytskyi.demo")
    }
}

@Suite struct CSRFTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "csrf") }

    /// A service centre's shared address (`HROMADA_RATE_LIMIT_EXEMPT`) is not counted by the
    /// per-address limits, sign-in's among them; every other address is.
    @Test func exemptAddressesAreNotCountedPerAddress() async throws {
        let services = try await services()
        let limiter = RateLimiter(database: services.database, exemptAddresses: ["192.0.2.7"])
        for _ in 0..<(RateLimiter.Rule.signInPerIP.limit + 5) {
            #expect(try await limiter.allow(.signInPerIP, address: "192.0.2.7"))
        }
        var allowed = 0
        for _ in 0..<(RateLimiter.Rule.signInPerIP.limit + 5) where try await limiter.allow(.signInPerIP, address: "192.0.2.8") {
            allowed += 1
        }
        #expect(allowed == RateLimiter.Rule.signInPerIP.limit)
    }

    @Test func postWithoutTokenIsRefusedAndChangesNothing() async throws {
        let services = try await services()
        let email = "csrf.\(UUID().uuidString.prefix(8))@example.ua"
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/signup")
            let refused = try await browser.post(
                "/signup", form: ["email": email, "full_name": "Атакувальник", "password": "0123456789abc"], csrf: .none)
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains("Форма застаріла"))
            let forged = try await browser.post(
                "/signup", form: ["email": email, "full_name": "Атакувальник", "password": "0123456789abc"], csrf: .value("forged"))
            #expect(forged.status == .forbidden)
        }
        #expect(try await services.database.query("SELECT count(*) AS n FROM people WHERE email = $1", email)[0].decode("n", as: Int.self) == 0)
    }

    @Test func tokenFromAnotherSessionIsRefused() async throws {
        let services = try await services()
        let stolen = try await TestApp.withBrowser(services) { victim in
            try await victim.signIn("admin@khmelnytskyi.demo")
            try await victim.get("/khmelnytskyi/admin")
            return victim.lastCSRF ?? ""
        }
        try await TestApp.withBrowser(services) { attacker in
            try await attacker.signIn("moderator@khmelnytskyi.demo")
            let refused = try await attacker.post(
                "/khmelnytskyi/admin/roles", form: ["email": "newcomer@khmelnytskyi.demo", "role": "moderator"], csrf: .value(stolen))
            #expect(refused.status == .forbidden)
        }
        let grants = try await services.database.query(
            "SELECT count(*) AS n FROM role_grants g JOIN people p ON p.id = g.person_id WHERE p.email = 'newcomer@khmelnytskyi.demo' AND g.role = 'moderator'")
        #expect(try grants[0].decode("n", as: Int.self) == 0)
    }

    @Test func signedInPostWithoutTokenChangesNothing() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            let refused = try await browser.post("/signout", form: [:], csrf: .none)
            #expect(refused.status == .forbidden)
            #expect(try await browser.get("/account").status == .ok, "the session survived the forged sign-out")
        }
    }
}
