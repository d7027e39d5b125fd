import Foundation
import HTTPTypes
import Hromada
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

/// The acceptance journey of the workflow, through the pages a person uses (no JavaScript).
@Suite struct AppealJourneyTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "appeal_journey") }

    func documentID(forAppealPath path: String, _ services: AppServices) async throws -> Int {
        let appealID = String(path.split(separator: "/").last!)
        return try await services.database.query(
            "SELECT id FROM documents WHERE source_type = 'appeal' AND source_id = $1", appealID)[0].decode("id")
    }

    @Test func aCitizensAppealIsRegisteredAssignedAnsweredAndRead() async throws {
        let services = try await services()
        let subject = "Темно у дворі на Кам'янецькій \(UUID().uuidString.prefix(4))"
        let appealPath = try await TestApp.withBrowser(services) { citizen in
            try await citizen.signIn("citizen@khmelnytskyi.demo")
            let form = try await citizen.get("/khmelnytskyi/appeals")
            #expect(form.body.contains("Надіслати звернення"))
            let bad = try await citizen.post("/khmelnytskyi/appeals", form: ["topic": "street_lighting", "subject": "", "body": "коротко"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("Вкажіть тему"))
            let sent = try await citizen.post(
                "/khmelnytskyi/appeals",
                form: ["topic": "street_lighting", "subject": subject, "body": "Другий тиждень не світить жоден ліхтар у дворі.", "address": "вул. Кам'янецька, 40"])
            #expect(sent.status == .seeOther)
            let path = try #require(sent.location)
            let page = try await citizen.get(path)
            #expect(page.body.contains("Звернення зареєстровано."))
            #expect(page.body.range(of: #"ЗВ-\d{4}/\d{6}"#, options: .regularExpression) != nil)
            #expect(page.body.contains("Відділ вуличного освітлення"))
            #expect(page.body.contains("Строк відповіді"))
            return path
        }
        let documentID = try await documentID(forAppealPath: appealPath, services)
        let officialID: Int = try await services.database.query(
            "SELECT id FROM people WHERE email = 'official@khmelnytskyi.demo'")[0].decode("id")

        try await TestApp.withBrowser(services) { head in
            try await head.signIn("head@khmelnytskyi.demo")
            let queue = try await head.get("/khmelnytskyi/office?queue=department")
            #expect(queue.body.contains(subject.replacingOccurrences(of: "'", with: "&#39;")))
            try await head.get("/khmelnytskyi/office/documents/\(documentID)")
            let assigned = try await head.post(
                "/khmelnytskyi/office/documents/\(documentID)/actions", form: ["action": "assign", "assignee": String(officialID)])
            #expect(assigned.status == .seeOther)
            let refused = try await head.post("/khmelnytskyi/office/documents/\(documentID)/actions", form: ["action": "close"])
            #expect(refused.status == .conflict, "an assigned document cannot be closed")
        }

        try await TestApp.withBrowser(services) { official in
            try await official.signIn("official@khmelnytskyi.demo")
            let mine = try await official.get("/khmelnytskyi/office?queue=mine")
            #expect(mine.body.contains("/khmelnytskyi/office/documents/\(documentID)"))
            try await official.get("/khmelnytskyi/office/documents/\(documentID)")
            try await official.post(
                "/khmelnytskyi/office/documents/\(documentID)/actions", form: ["action": "comment", "comment": "Виїзд бригади у вівторок"])
            let answered = try await official.post(
                "/khmelnytskyi/office/documents/\(documentID)/actions",
                form: ["action": "answer", "outcome": "supported", "comment": "Світильники у дворі відремонтовано 3 грудня."])
            #expect(answered.status == .seeOther)
            let page = try await official.get("/khmelnytskyi/office/documents/\(documentID)")
            #expect(page.body.contains("Виїзд бригади у вівторок"), "staff see internal comments")
        }

        try await TestApp.withBrowser(services) { citizen in
            try await citizen.signIn("citizen@khmelnytskyi.demo")
            let account = try await citizen.get("/account")
            #expect(account.body.contains("Надано відповідь"))
            let appeal = try await citizen.get(appealPath)
            #expect(appeal.body.contains("Світильники у дворі відремонтовано 3 грудня."))
            #expect(appeal.body.contains("Підтримано"))
            #expect(!appeal.body.contains("Виїзд бригади у вівторок"), "the public never sees internal comments")
        }

        let mail = try await services.database.query(
            "SELECT subject FROM outbox_messages WHERE to_address = 'citizen@khmelnytskyi.demo' ORDER BY id")
            .map { try $0.decode("subject", as: String.self) }
        let reference: String = try await services.database.query("SELECT reference FROM documents WHERE id = $1", documentID)[0].decode("reference")
        #expect(mail.contains("Зареєстровано: \(reference)"))
        #expect(mail.contains("Надано відповідь: \(reference)"))

        try await TestApp.withBrowser(services) { admin in
            try await admin.signIn("admin@khmelnytskyi.demo")
            let outbox = try await admin.get("/khmelnytskyi/admin/outbox")
            #expect(outbox.body.contains("Надано відповідь: \(reference)"))
        }
    }

    @Test func appealsArePrivateToTheirAuthorAndStaff() async throws {
        let services = try await services()
        let path = try await TestApp.withBrowser(services) { citizen in
            try await citizen.signIn("citizen@khmelnytskyi.demo")
            try await citizen.get("/khmelnytskyi/appeals")
            return try await citizen.post(
                "/khmelnytskyi/appeals",
                form: ["topic": "roads", "subject": "Яма на дорозі", "body": "Глибока яма на перехресті, вже пошкоджено два авто."]
            ).location ?? ""
        }
        let documentID = try await documentID(forAppealPath: path, services)
        try await TestApp.withBrowser(services) { stranger in
            try await stranger.signIn("newcomer@khmelnytskyi.demo")
            #expect(try await stranger.get(path).status == .notFound)
            #expect(try await stranger.get("/khmelnytskyi/documents/\(documentID)").status == .notFound)
            #expect(try await stranger.get("/khmelnytskyi/office/documents/\(documentID)").status == .forbidden)
        }
        try await TestApp.withBrowser(services) { anonymous in
            let page = try await anonymous.get("/khmelnytskyi/documents/\(documentID)")
            #expect(page.status == .unauthorized)
        }
    }

    @Test func theOverdueQueueShowsDocumentsPastTheirDueDate() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { head in
            try await head.signIn("head@khmelnytskyi.demo")
            let overdue = try await head.get("/khmelnytskyi/office?queue=overdue")
            #expect(overdue.body.contains("Обірваний кабель освітлення на вул. Свободи"))
            #expect(overdue.body.contains("прострочено"))
            let dueSoon = try await head.get("/khmelnytskyi/office?queue=due_soon")
            #expect(!dueSoon.body.contains("Обірваний кабель освітлення на вул. Свободи"))
        }
    }

    @Test func theAPIServesQueuesActionsAndPublicStatus() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            func token(_ email: String) async throws -> String {
                let response = try await client.execute(
                    uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"email": "\#(email)", "password": "demo-password"}"#))
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                return try #require(json?["token"] as? String)
            }
            let citizen = try await token("citizen@khmelnytskyi.demo")
            let created = try await client.execute(
                uri: "/api/v1/khmelnytskyi/appeals", method: .post,
                headers: [.authorization: "Bearer \(citizen)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"topic": "street_lighting", "subject": "API: ліхтар", "text": "Не світить ліхтар біля школи №5."}"#))
            #expect(created.status == .created)
            let document = try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [String: Any]
            let id = try #require(document?["id"] as? Int)
            #expect((document?["reference"] as? String)?.hasPrefix("ЗВ-") == true)

            let invalid = try await client.execute(
                uri: "/api/v1/khmelnytskyi/appeals", method: .post,
                headers: [.authorization: "Bearer \(citizen)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"topic": "weather", "subject": "", "text": ""}"#))
            #expect(invalid.status == .unprocessableContent)
            #expect(String(buffer: invalid.body).contains(#""topic""#))

            let forbidden = try await client.execute(
                uri: "/api/v1/khmelnytskyi/office/documents", method: .get, headers: [.authorization: "Bearer \(citizen)"])
            #expect(forbidden.status == .forbidden)

            let official = try await token("official@khmelnytskyi.demo")
            let queue = try await client.execute(
                uri: "/api/v1/khmelnytskyi/office/documents?queue=department", method: .get, headers: [.authorization: "Bearer \(official)"])
            let queueJSON = try JSONSerialization.jsonObject(with: Data(buffer: queue.body)) as? [String: Any]
            #expect((queueJSON?["documents"] as? [[String: Any]])?.contains { $0["id"] as? Int == id } == true)
            #expect(((queueJSON?["counts"] as? [String: Any])?["overdue"] as? Int ?? 0) >= 1)

            for body in [#"{"action": "take"}"#, #"{"action": "answer", "outcome": "supported", "comment": "Замінено лампу."}"#] {
                let response = try await client.execute(
                    uri: "/api/v1/khmelnytskyi/office/documents/\(id)/actions", method: .post,
                    headers: [.authorization: "Bearer \(official)", .contentType: "application/json"], body: ByteBuffer(string: body))
                #expect(response.status == .ok)
            }
            let status = try await client.execute(
                uri: "/api/v1/khmelnytskyi/documents/\(id)", method: .get, headers: [.authorization: "Bearer \(citizen)"])
            let statusJSON = try JSONSerialization.jsonObject(with: Data(buffer: status.body)) as? [String: Any]
            #expect(statusJSON?["status"] as? String == "answered")
            #expect((statusJSON?["answer"] as? [String: Any])?["text"] as? String == "Замінено лампу.")
            let anonymous = try await client.execute(uri: "/api/v1/khmelnytskyi/documents/\(id)", method: .get)
            #expect(anonymous.status == .unauthorized, "an appeal is not public")
        }
    }

    @Test func theCouncilsRecordIsPublic() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let lighting = try #require(try await services.workflow.record(of: community.id).first { $0.departmentName.uk == "Відділ вуличного освітлення" })
        #expect(lighting.registered >= 4)
        #expect(lighting.answered >= 1 && lighting.answeredOnTime <= lighting.answered)
        #expect(lighting.overdueNow >= 1)
        try await TestApp.withBrowser(services) { anyone in
            let home = try await anyone.get("/khmelnytskyi")
            #expect(home.body.contains("Як рада відповідає цього року"))
            #expect(home.body.contains(">Відділ вуличного освітлення</td>"))
        }
    }

    @Test func administratorsEditTheHolidayCalendar() async throws {
        let services = try await services()
        try await TestApp.withBrowser(services) { admin in
            try await admin.signIn("admin@khmelnytskyi.demo")
            let page = try await admin.get("/khmelnytskyi/admin/workflow")
            #expect(page.status == .ok)
            let added = try await admin.post("/khmelnytskyi/admin/holidays", form: ["day": "2027-05-01", "name": "День праці"])
            #expect(added.status == .seeOther)
            #expect(try await admin.get("/khmelnytskyi/admin/workflow").body.contains("День праці"))
            let bad = try await admin.post("/khmelnytskyi/admin/holidays", form: ["day": "2027-02-30", "name": "Нема"])
            #expect(bad.status == .unprocessableContent)
            try await admin.get("/khmelnytskyi/admin/workflow")
            try await admin.post("/khmelnytskyi/admin/holidays/2027-05-01/delete", form: [:])
        }
        let left = try await services.database.query("SELECT count(*) AS n FROM holidays WHERE day = '2027-05-01'")
        #expect(try left[0].decode("n", as: Int.self) == 0)
        try await TestApp.withBrowser(services) { official in
            try await official.signIn("official@khmelnytskyi.demo")
            #expect(try await official.get("/khmelnytskyi/admin/workflow").status == .forbidden)
        }
    }
}
