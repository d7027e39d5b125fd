import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// The administrative service centre's desks: only its staff use them, nobody verifies
/// themselves, a standing verification is replaced only with a reason and stays in the history,
/// and simultaneous verifications of one person each get a clear answer.
@Suite struct ServiceCentreDeskTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "service_centre_desks") }

    static let desk = "desk@khmelnytskyi.demo"
    static let deskPath = "/khmelnytskyi/office/verifications"

    static func form(_ email: String, name: String = "Ганна Перевірена", birthDate: String = "1990-04-12", resident: Bool = true,
                     number: String, reason: String? = nil) -> [String: String] {
        var form = ["email": email, "full_name": name, "birth_date": birthDate, "resident": resident ? "yes" : "no",
                    "document_type": "id_card", "document_number": number]
        form["reason"] = reason
        return form
    }

    /// A new account, not verified anywhere.
    static func newPerson(_ services: AppServices) async throws -> Person {
        let tag = UUID().uuidString.prefix(8).lowercased()
        return try await services.accounts.signUp(
            email: "desk-test-\(tag)@example.ua", fullName: "Особа \(tag)", password: "0123456789abc", language: .uk, citizenOf: nil, ip: nil)
    }

    /// How many verifications the person has, and how many of them stand: `[all, standing]`.
    static func verifications(of personID: Int, _ services: AppServices) async throws -> [Int] {
        let row = try await services.database.query(
            "SELECT count(*)::int AS n, count(*) FILTER (WHERE revoked_at IS NULL)::int AS standing FROM verifications WHERE person_id = $1",
            personID)[0]
        return [try row.decode("n"), try row.decode("standing")]
    }

    @Test(arguments: ["official@khmelnytskyi.demo", "head@khmelnytskyi.demo", "admin@khmelnytskyi.demo"])
    func staffOutsideTheCentreAreRefusedAtBothDesks(email: String) async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let stranger = try await Self.newPerson(services)
        let staff = try #require(try await services.accounts.person(email: email))
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1)
        let voter = try await Fixtures.residents(1, services)[0]
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn(email)
            try await browser.get("/account")
            for path in [Self.deskPath, "/khmelnytskyi/office/budget"] {
                #expect(try await browser.get(path).status == .forbidden, "\(email) GET \(path)")
            }
            let invented = try await browser.post(Self.deskPath, form: Self.form(stranger.email, number: "ВИГАДАНИЙ1"))
            #expect(invented.status == .forbidden)
            let himself = try await browser.post(Self.deskPath, form: Self.form(email, number: "ВИГАДАНИЙ2"))
            #expect(himself.status == .forbidden)
            let lookUp = try await browser.post("/khmelnytskyi/office/budget/voter", form: ["document_type": "id_card", "document_number": "DEMO000005"])
            #expect(lookUp.status == .forbidden)
            let ballot = try await browser.post("/khmelnytskyi/office/budget/ballots", form: [
                "voter": String(voter.person.id), "voter_token": "forged", "project_\(projects[0])": "yes",
            ])
            #expect(ballot.status == .forbidden)
        }
        #expect(try await services.verifications.identity(of: stranger.id, in: community.id) == nil)
        #expect(try await services.verifications.identity(of: staff.id, in: community.id) == nil)
        #expect(try await services.budget.votes(of: voter.person.id, in: cycle.id).isEmpty)
    }

    @Test func anAdministratorMarksTheServiceCentreAndItsStaffGetTheDesksAtOnce() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        let tag = UUID().uuidString.prefix(6).lowercased()
        let branch = try await services.database.transaction { session in
            try await services.communities.addDepartment(
                to: community.id, slug: "branch-\(tag)", nameUK: "Віддалене робоче місце \(tag)", nameEN: "Branch \(tag)", on: session)
        }
        let clerk = try await Self.newPerson(services)
        try await services.accounts.grant(.official, departmentID: branch.id, to: clerk.id, in: community.id, by: admin.person.id, ip: nil)
        let other = try await services.database.transaction { session in
            let other = try await services.communities.create(slug: "centre-other-\(tag)", nameUK: "Інша", nameEN: "Other", on: session)
            return try await services.communities.addDepartment(to: other.id, slug: "cnap", nameUK: "ЦНАП", nameEN: "Centre", on: session)
        }
        try await TestApp.withBrowser(services) { clerkBrowser in
            try await clerkBrowser.signIn(clerk.email, password: "0123456789abc")
            #expect(try await clerkBrowser.get(Self.deskPath).status == .forbidden)
            try await TestApp.withBrowser(services) { adminBrowser in
                try await adminBrowser.signIn("admin@khmelnytskyi.demo")
                let page = try await adminBrowser.get("/khmelnytskyi/admin")
                #expect(page.body.contains(#"action="/khmelnytskyi/admin/departments/\#(branch.id)/service-centre""#))
                let marked = try await adminBrowser.post(
                    "/khmelnytskyi/admin/departments/\(branch.id)/service-centre", form: ["service_centre": "yes"])
                #expect(marked.status == .seeOther)
                #expect(try await clerkBrowser.get(Self.deskPath).status == .ok, "the signed-in clerk has the desk at once")
                #expect(try await clerkBrowser.get("/khmelnytskyi/office/budget").status == .ok)
                try await adminBrowser.get("/khmelnytskyi/admin")
                let bad = try await adminBrowser.post(
                    "/khmelnytskyi/admin/departments/\(branch.id)/service-centre", form: ["service_centre": "maybe"])
                #expect(bad.status == .unprocessableContent)
                #expect(bad.body.contains("Оберіть, позначити підрозділ як ЦНАП чи зняти позначку."))
                let foreign = try await adminBrowser.post(
                    "/khmelnytskyi/admin/departments/\(other.id)/service-centre", form: ["service_centre": "yes"])
                #expect(foreign.status == .notFound, "another community's department")
                try await adminBrowser.get("/khmelnytskyi/admin")
                let unmarked = try await adminBrowser.post(
                    "/khmelnytskyi/admin/departments/\(branch.id)/service-centre", form: ["service_centre": "no"])
                #expect(unmarked.status == .seeOther)
                #expect(try await clerkBrowser.get(Self.deskPath).status == .forbidden)
            }
            // A desk clerk is not an administrator: they cannot mark a department themselves.
            try await clerkBrowser.get("/account")
            let refused = try await clerkBrowser.post(
                "/khmelnytskyi/admin/departments/\(branch.id)/service-centre", form: ["service_centre": "yes"])
            #expect(refused.status == .forbidden)
        }
        let audit = try await services.database.query(
            "SELECT actor_id, summary FROM audit_log WHERE action = 'department.service_centre' AND object_id = $1 ORDER BY id",
            String(branch.id))
        #expect(try audit.map { try $0.decode("summary", as: String.self) }
                == ["marked as the administrative service centre", "no longer the administrative service centre"])
        #expect(try audit.allSatisfy { try $0.decode("actor_id", as: Int.self) == admin.person.id })
        let flags = try await services.database.query(
            "SELECT bool_or(is_service_centre) AS marked FROM departments WHERE id = ANY($1)", [branch.id, other.id])
        #expect(try flags[0].decode("marked", as: Bool.self) == false)
    }

    @Test func nobodyVerifiesThemselves() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let desk = try #require(try await services.accounts.person(email: Self.desk))
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn(Self.desk)
            try await browser.get(Self.deskPath)
            let page = try await browser.post(Self.deskPath, form: Self.form(Self.desk, name: "Дарина Реєстраторка", number: "САМА123456"))
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("Не можна підтверджувати власну особу. Попросіть колегу."))
            #expect(page.body.contains(#"aria-describedby="email-error""#))
        }
        #expect(try await services.verifications.identity(of: desk.id, in: community.id) == nil)
        let claims = IdentityClaims(fullName: "Дарина Реєстраторка", birthDate: CalendarDay(year: 1990, month: 1, day: 1), isResident: true,
                                    documentType: .idCard, documentNumber: "САМА654321")
        await #expect(throws: AppError.self) {
            try await services.verifications.record(claims, source: "in_person", personID: desk.id, communityID: community.id,
                                                    verifiedBy: desk.id, ip: nil)
        }
        #expect(try await Self.verifications(of: desk.id, services) == [0, 0])
        // The database refuses it too, whatever code writes the row.
        let refused = await #expect(throws: PostgresError.self) {
            try await services.database.transaction { session in
                let hash = Data(repeating: 7, count: 32)
                try await session.query("INSERT INTO identity_documents (document_hash, person_id) VALUES ($1, $2)", hash, desk.id)
                try await session.query(
                    """
                    INSERT INTO verifications (community_id, person_id, source, verified_name, birth_date, is_resident, document_type,
                                               document_hash, verified_by)
                    VALUES ($1, $2, 'in_person', 'Дарина', DATE '1990-01-01', true, 'id_card', $3, $2)
                    """, community.id, desk.id, hash)
            }
        }
        #expect(refused?.constraint == "verifications_not_by_self")
    }

    @Test func replacingAStandingVerificationNeedsAReasonAndKeepsTheHistory() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let desk = try #require(try await services.accounts.person(email: Self.desk))
        let person = try await Self.newPerson(services)
        let number = "ЗМ\(Int.random(in: 100_000...999_999))"
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn(Self.desk)
            try await browser.get(Self.deskPath)
            #expect(try await browser.post(Self.deskPath, form: Self.form(person.email, number: number)).status == .seeOther)

            // "Not resident, born 2015" without a reason: refused, shown at the reason field, nothing changed.
            try await browser.get(Self.deskPath)
            let noReason = try await browser.post(
                Self.deskPath, form: Self.form(person.email, birthDate: "2015-06-01", resident: false, number: number, reason: "  "))
            #expect(noReason.status == .unprocessableContent)
            #expect(noReason.body.contains("Особу вже підтверджено з іншими даними"))
            #expect(noReason.body.contains(#"id="reason-error""#) && noReason.body.contains(#"aria-describedby="reason-hint reason-error""#))
            #expect(noReason.body.contains("Історія підтверджень: \(person.fullName)"), "the history is shown beside the refusal")
            let standing = try #require(try await services.verifications.identity(of: person.id, in: community.id))
            #expect(standing.isResident && standing.birthDate == CalendarDay(year: 1990, month: 4, day: 12))

            // The same details again: nothing to replace, nothing written.
            let same = try await browser.post(Self.deskPath, form: Self.form(person.email, number: number))
            #expect(same.status == .seeOther)
            #expect(try await browser.get(try #require(same.location)).body.contains("нічого не змінено"))
            #expect(try await Self.verifications(of: person.id, services) == [1, 1])

            let reason = "Змінилося місце проживання, довідка від 01.06"
            let replaced = try await browser.post(
                Self.deskPath, form: Self.form(person.email, name: "Ганна Переїхала", resident: false, number: number, reason: reason))
            #expect(replaced.status == .seeOther)
            let history = try await browser.get(try #require(replaced.location))
            #expect(history.body.contains("Чинне підтвердження замінено"))
            #expect(history.body.contains("Ганна Переїхала") && history.body.contains("Ганна Перевірена"))
            #expect(history.body.contains(reason))
        }
        let current = try #require(try await services.verifications.identity(of: person.id, in: community.id))
        #expect(current.fullName == "Ганна Переїхала" && !current.isResident)
        let records = try await services.verifications.history(of: person.id, in: community.id)
        #expect(records.map(\.identity.fullName) == ["Ганна Переїхала", "Ганна Перевірена"])
        #expect(records[0].replacedAt == nil && records[1].replacedAt != nil)
        #expect(records[1].replaceReason == "Змінилося місце проживання, довідка від 01.06")
        #expect(records[1].replacedByName == desk.fullName && records[0].verifierName == desk.fullName)
        let audit = try await services.database.query(
            "SELECT summary FROM audit_log WHERE action = 'verification.record' AND object_id = $1 ORDER BY id", String(person.id)
        ).map { try $0.decode("summary", as: String.self) }
        #expect(audit.count == 2 && audit[1].contains("replacing verification") && audit[1].contains("Змінилося місце проживання"))
    }

    /// Sends every form to `uri` at the same time with the browser's session and CSRF token.
    static func postAtOnce(_ forms: [[String: String]], to uri: String, as browser: Browser) async throws -> [HTTPResponse.Status] {
        let cookie = browser.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        let csrf = try #require(browser.lastCSRF)
        let client = browser.client
        return try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for form in forms {
                var fields = form
                fields["_csrf"] = csrf
                let body = fields.map { "\(Browser.encode($0.key))=\(Browser.encode($0.value))" }.joined(separator: "&")
                group.addTask {
                    try await client.execute(
                        uri: uri, method: .post,
                        headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie, .accept: "text/html"],
                        body: ByteBuffer(string: body)
                    ).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func tenSimultaneousVerificationsOfOnePersonAllGetAClearAnswer() async throws {
        let services = try await services()
        let twice = try await Self.newPerson(services)
        let rivals = try await Self.newPerson(services)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn(Self.desk)
            try await browser.get(Self.deskPath)

            // The same form ten times at once (a double click, ten times over): one verification, ten successes.
            let number = "ОДН\(Int.random(in: 100_000...999_999))"
            let same = try await Self.postAtOnce(Array(repeating: Self.form(twice.email, number: number), count: 10), to: Self.deskPath, as: browser)
            #expect(same == Array(repeating: HTTPResponse.Status.seeOther, count: 10), "\(same)")
            #expect(try await Self.verifications(of: twice.id, services) == [1, 1])

            // Ten different details at once without a reason: the first stands, the other nine are told why not.
            let rivalNumber = "СУП\(Int.random(in: 100_000...999_999))"
            let forms = (1...10).map { Self.form(rivals.email, name: "Суперник Номер \($0)", number: rivalNumber) }
            let answers = try await Self.postAtOnce(forms, to: Self.deskPath, as: browser)
            #expect(answers.filter { $0 == .seeOther }.count == 1, "\(answers)")
            #expect(answers.filter { $0 == .unprocessableContent }.count == 9, "\(answers)")
            #expect(try await Self.verifications(of: rivals.id, services) == [1, 1])

            // Ten replacements at once, each with its reason: each replaces the one before, one stands.
            let replacements = (1...10).map {
                Self.form(rivals.email, name: "Заміна Номер \($0)", number: rivalNumber, reason: "Виправлення \($0)")
            }
            let replaced = try await Self.postAtOnce(replacements, to: Self.deskPath, as: browser)
            #expect(replaced == Array(repeating: HTTPResponse.Status.seeOther, count: 10), "\(replaced)")
            #expect(try await Self.verifications(of: rivals.id, services) == [11, 1])
            // The history reads as the chain it is: each row was replaced after it was recorded, by the next one.
            let chain = try await services.verifications.history(of: rivals.id, in: try await Fixtures.community(services).id)
            #expect(chain.count == 11 && chain[0].replacedAt == nil)
            for (newer, older) in zip(chain, chain.dropFirst()) {
                let replacedAt = try #require(older.replacedAt)
                #expect(older.identity.verifiedAt <= replacedAt && replacedAt <= newer.identity.verifiedAt)
            }
        }
    }
}
