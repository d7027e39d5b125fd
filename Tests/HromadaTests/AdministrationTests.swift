import Foundation
@testable import Hromada
import HTTPTypes
import Postgres
import Testing

@Suite struct AdministrationTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "administration") }

    func roles(_ services: AppServices, of email: String) async throws -> [String] {
        try await services.database.query(
            "SELECT g.role FROM role_grants g JOIN people p ON p.id = g.person_id WHERE p.email = $1 ORDER BY g.role", email
        ).map { try $0.decode("role") }
    }

    @Test(arguments: [
        ("/khmelnytskyi/admin", ["admin"], ["citizen", "moderator", "official", "head"]),
        ("/khmelnytskyi/office", ["admin", "official", "head", "desk"], ["citizen", "moderator", "newcomer"]),
        // The centre's desks are for its staff only: not the street lighting official or head, nor the administrator.
        ("/khmelnytskyi/office/verifications", ["desk"], ["citizen", "moderator", "official", "head", "admin"]),
        ("/khmelnytskyi/office/budget", ["desk"], ["citizen", "moderator", "official", "head", "admin"]),
    ])
    func pagesAreShownOnlyToTheirRoles(path: String, allowed: [String], refused: [String]) async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            let anonymous = try await browser.get(path)
            #expect(anonymous.status == .unauthorized)
        }
        for person in allowed + refused {
            try await TestApp.withBrowser(services) { browser in
                try await browser.signIn("\(person)@khmelnytskyi.demo")
                let status = try await browser.get(path).status
                #expect(status == (allowed.contains(person) ? .ok : .forbidden), "\(person) on \(path)")
            }
        }
    }

    @Test func administratorGrantsAndRevokesRoles() async throws {
        let services = try await services()
        let person = try await services.accounts.signUp(
            email: "future.moderator@example.ua", fullName: "Майбутня Модераторка", password: "0123456789abc", language: .uk,
            citizenOf: nil, ip: nil)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/admin")
            let granted = try await browser.post("/khmelnytskyi/admin/roles", form: ["email": person.email, "role": "moderator"])
            #expect(granted.status == .seeOther)
            #expect(try await roles(services, of: person.email) == ["moderator"])
            let page = try await browser.get("/khmelnytskyi/admin")
            #expect(page.body.contains("Роль надано."))
            #expect(page.body.contains("Майбутня Модераторка"))

            let noDepartment = try await browser.post("/khmelnytskyi/admin/roles", form: ["email": person.email, "role": "official"])
            #expect(noDepartment.status == .unprocessableContent)
            #expect(noDepartment.body.contains("Посадовій особі та керівнику потрібен підрозділ"))
            let unknown = try await browser.post("/khmelnytskyi/admin/roles", form: ["email": "ghost@example.ua", "role": "moderator"])
            #expect(unknown.status == .unprocessableContent)
            #expect(try await roles(services, of: person.email) == ["moderator"])

            let grantID: Int = try await services.database.query(
                "SELECT id FROM role_grants WHERE person_id = $1", person.id)[0].decode("id")
            let revoked = try await browser.post("/khmelnytskyi/admin/roles/\(grantID)/revoke", form: [:])
            #expect(revoked.status == .seeOther)
            #expect(try await roles(services, of: person.email).isEmpty)
        }
        let audit = try await services.database.query(
            "SELECT action FROM audit_log WHERE object_type = 'person' AND object_id = $1 ORDER BY id", String(person.id)
        ).map { try $0.decode("action", as: String.self) }
        #expect(audit == ["account.create", "role.grant", "role.revoke"])
    }

    @Test func theMemberListIsPagedSearchableAndInUkrainianOrder() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let tag = UUID().uuidString.prefix(6).lowercased()
        // In code-point order І (U+0406) comes before А (U+0410); in Ukrainian, А comes first.
        for (email, name) in [("i\(tag)@example.ua", "Іваненко Ірина \(tag)"), ("a\(tag)@example.ua", "Андрієнко Андрій \(tag)")] {
            _ = try await services.accounts.signUp(email: email, fullName: name, password: "0123456789abc", language: .uk,
                                                   citizenOf: community.id, ip: nil)
        }
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            let found = try await browser.get("/khmelnytskyi/admin?q=\(tag)")
            #expect(found.body.contains("Знайдено 2 учасників"))
            let first = try #require(found.body.range(of: "Андрієнко Андрій"))
            let second = try #require(found.body.range(of: "Іваненко Ірина"))
            #expect(first.lowerBound < second.lowerBound)
            // A wildcard typed into the box is a character, not "everyone".
            let literal = try await browser.get("/khmelnytskyi/admin?q=%25")
            #expect(literal.body.contains("Знайдено 0 учасників"))

            let total: Int = try await services.database.query(
                "SELECT count(DISTINCT person_id)::int AS n FROM role_grants WHERE community_id = $1", community.id)[0].decode("n")
            #expect(total > AdminRoutes.membersPerPage, "the demo has more members than one page")
            let firstPage = try await browser.get("/khmelnytskyi/admin")
            let revokeButtons = firstPage.body.components(separatedBy: "/revoke\"").count - 1
            #expect(revokeButtons >= 1 && revokeButtons <= AdminRoutes.membersPerPage * Role.allCases.count)
            #expect(firstPage.body.contains(#"rel="next""#))
            #expect(!firstPage.body.contains(#"rel="prev""#))
            // Staff come first: the administrator is on the first page whatever their name.
            #expect(firstPage.body.contains("admin@khmelnytskyi.demo"))
            let lastPage = try await browser.get("/khmelnytskyi/admin?page=\((total + AdminRoutes.membersPerPage - 1) / AdminRoutes.membersPerPage)")
            #expect(lastPage.body.contains(#"rel="prev""#))
            #expect(!lastPage.body.contains(#"rel="next""#))
        }
    }

    @Test func officialsAreGrantedWithADepartment() async throws {
        let services = try await services()
        let person = try await services.accounts.signUp(
            email: "future.official@example.ua", fullName: "Майбутній Посадовець", password: "0123456789abc", language: .uk,
            citizenOf: nil, ip: nil)
        let department: Int = try await services.database.query("SELECT id FROM departments WHERE slug = 'roads'")[0].decode("id")
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/admin")
            let granted = try await browser.post(
                "/khmelnytskyi/admin/roles", form: ["email": person.email, "role": "official", "department": String(department)])
            #expect(granted.status == .seeOther)
        }
        #expect(try await roles(services, of: person.email) == ["official"])
    }

    @Test func anAdministratorCannotRevokeTheirOwnAdministratorRole() async throws {
        let services = try await services()
        let grantID: Int = try await services.database.query(
            "SELECT g.id FROM role_grants g JOIN people p ON p.id = g.person_id WHERE p.email = 'admin@khmelnytskyi.demo' AND g.role = 'administrator'"
        )[0].decode("id")
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/admin")
            let refused = try await browser.post("/khmelnytskyi/admin/roles/\(grantID)/revoke", form: [:])
            #expect(refused.status == .conflict)
            #expect(refused.body.contains("Не можна відкликати власну роль адміністратора"))
        }
        #expect(try await roles(services, of: "admin@khmelnytskyi.demo") == ["administrator"])
    }

    @Test func aCitizenCannotGrantRoles() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            try await browser.get("/account")
            let refused = try await browser.post(
                "/khmelnytskyi/admin/roles", form: ["email": "citizen@khmelnytskyi.demo", "role": "administrator"])
            #expect(refused.status == .forbidden)
        }
        #expect(try await roles(services, of: "citizen@khmelnytskyi.demo") == ["citizen"])
    }
}

@Suite struct VerificationTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "verification") }

    func verificationForm(_ email: String, number: String, birthDate: String = "1990-04-12") -> [String: String] {
        ["email": email, "full_name": "Назар Новачок", "birth_date": birthDate, "resident": "yes",
         "document_type": "passport_booklet", "document_number": number]
    }

    @Test func staffVerifyAPersonOnceAndADocumentServesOneAccount() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let newcomer = try #require(try await services.accounts.person(email: "newcomer@khmelnytskyi.demo"))
        #expect(try await services.verifications.identity(of: newcomer.id, in: community.id) == nil)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("desk@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/office/verifications")
            let done = try await browser.post(
                "/khmelnytskyi/office/verifications", form: verificationForm("newcomer@khmelnytskyi.demo", number: "НК 123 456"))
            #expect(done.status == .seeOther)
            #expect(done.location == "/khmelnytskyi/office/verifications?email=newcomer@khmelnytskyi.demo")
            let desk = try await browser.get(try #require(done.location))
            #expect(desk.body.contains("Особу підтверджено."))
            #expect(desk.body.contains("Історія підтверджень: Назар Новачок"), "the new verification's history is shown")
            #expect(desk.body.contains("newcomer@khmelnytskyi.demo"))
            #expect(!desk.body.contains("123456"), "the document number is never shown")

            let reused = try await browser.post(
                "/khmelnytskyi/office/verifications", form: verificationForm("moderator@khmelnytskyi.demo", number: "нк123-456"))
            #expect(reused.status == .conflict)
            #expect(reused.body.contains("Цей документ уже підтвердив інший обліковий запис"))
        }
        let identity = try #require(try await services.verifications.identity(of: newcomer.id, in: community.id))
        #expect(identity.birthDate == CalendarDay(year: 1990, month: 4, day: 12))
        #expect(identity.isResident)
        #expect(identity.source == "in_person")
        let moderator = try #require(try await services.accounts.person(email: "moderator@khmelnytskyi.demo"))
        #expect(try await services.verifications.identity(of: moderator.id, in: community.id) == nil)
        let stored = try await services.database.query("SELECT count(*) AS n FROM verifications WHERE document_hash IS NOT NULL AND encode(document_hash, 'escape') LIKE '%123456%'")
        #expect(try stored[0].decode("n", as: Int.self) == 0)
    }

    @Test func badVerificationInputIsShownAgain() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("desk@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/office/verifications")
            let page = try await browser.post(
                "/khmelnytskyi/office/verifications",
                form: verificationForm("head@khmelnytskyi.demo", number: "12", birthDate: "2030-01-01"))
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("Вкажіть справжню дату народження"))
            #expect(page.body.contains("Номер документа: від 6 до 20 літер і цифр"))
        }
        let head = try #require(try await services.accounts.person(email: "head@khmelnytskyi.demo"))
        let community = try await services.communities.require(slug: "khmelnytskyi")
        #expect(try await services.verifications.identity(of: head.id, in: community.id) == nil)
    }

    @Test func theDemoCitizenIsThirtyAndResident() async throws {
        let services = try await services()
        let citizen = try #require(try await services.accounts.person(email: "citizen@khmelnytskyi.demo"))
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let identity = try #require(try await services.verifications.identity(of: citizen.id, in: community.id))
        #expect(identity.age(on: CalendarDay(Date())) == 30)
        #expect(identity.isResident)
    }
}

@Suite struct SessionCacheTests {
    @Test func aGrantedRoleWorksAtOnceForSomeoneAlreadySignedIn() async throws {
        let services = try await TestApp.services(suite: "session_cache")
        let person = try await services.accounts.signUp(
            email: "soon.moderator@example.ua", fullName: "Скоро Модератор", password: "0123456789abc", language: .uk,
            citizenOf: nil, ip: nil)
        let community = try await services.communities.require(slug: "khmelnytskyi")
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn(person.email, password: "0123456789abc")
            let before = try await browser.get("/khmelnytskyi/moderation")
            #expect(before.status == .forbidden)
            try await services.accounts.grant(.moderator, departmentID: nil, to: person.id, in: community.id, by: nil, ip: nil)
            let after = try await browser.get("/khmelnytskyi/moderation")
            #expect(after.status == .ok)
            let grantID: Int = try await services.database.query(
                "SELECT id FROM role_grants WHERE person_id = $1 AND role = 'moderator'", person.id)[0].decode("id")
            let admin = try #require(try await services.accounts.person(email: "admin@khmelnytskyi.demo"))
            try await services.accounts.revoke(grantID: grantID, in: community.id, by: admin.id, ip: nil)
            let revoked = try await browser.get("/khmelnytskyi/moderation")
            #expect(revoked.status == .forbidden)
        }
    }
}
