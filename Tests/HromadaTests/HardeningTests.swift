import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// The faults found by trying the platform as an attacker would, each answered at its mechanism.
@Suite struct HardeningTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "hardening") }

    /// Repeated OGC parameters (which once trapped the process while building a dictionary) and
    /// offsets near `Int.max` (which overflowed the page arithmetic) are 400s.
    @Test func ogcRefusesRepeatedAndHugeParameters() async throws {
        try await Application(router: buildRouter(services: try await services())).test(.router) { client in
            let base = "/ogc/khmelnytskyi/collections"
            for uri in ["\(base)/street-lighting/items?lamp_type=a&lamp_type=b", "\(base)/street-lighting/items?limit=1&limit=2",
                        "\(base)/reports/items?limit=1&offset=9223372036854775807", "\(base)/street-lighting/items?offset=9223372036854775807"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest, "\(uri): \(response.status)")
                #expect(String(buffer: response.body).contains("\"description\""))
            }
            #expect(try await client.execute(uri: "\(base)/street-lighting/items?lamp_type=LED", method: .get).status == .ok)
        }
    }

    /// HEAD works wherever GET does, with GET's headers and no body: monitors and harvesters
    /// check these URLs with it.
    @Test func headAnswersWhereverGetDoes() async throws {
        let services = try await services()
        let petition: Int = try await services.database.query("SELECT min(id) AS id FROM petitions WHERE status = 'collecting'")[0].decode("id")
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            for uri in ["/ogc/khmelnytskyi", "/ogc/khmelnytskyi/collections/street-lighting/items", "/open311/v2/services.json?jurisdiction_id=khmelnytskyi",
                        "/api/v1/khmelnytskyi/petitions", "/khmelnytskyi/open-data/petitions.csv", "/khmelnytskyi/petitions/\(petition)", "/khmelnytskyi"] {
                let get = try await client.execute(uri: uri, method: .get)
                let head = try await client.execute(uri: uri, method: .head)
                #expect(head.status == .ok, "HEAD \(uri): \(head.status)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "HEAD \(uri)")
                #expect(head.body.readableBytes == 0, "HEAD \(uri) sent a body")
            }
        }
    }

    /// An upload from someone who is not signed in is refused before its body is read: a body
    /// over the upload limit is not "too large" (which it would be once read) but refused at once.
    @Test func anonymousUploadsAreRefusedBeforeTheirBodyIsRead() async throws {
        let services = try await services()
        let huge = ByteBuffer(repeating: UInt8(ascii: "x"), count: UploadForm.maximumBodyBytes + 1024)
        try await TestApp.withBrowser(services) { visitor in
            // The visitor cookie and a token bound to it come with a form an anonymous visitor may send.
            try await visitor.get("/signin")
            let contentType: HTTPFields = [.contentType: "multipart/form-data; boundary=x"]
            let withVisitorCookie = try await visitor.send("/khmelnytskyi/reports?_csrf=\(visitor.lastCSRF ?? "")", method: .post,
                                                           headers: contentType, body: huge)
            #expect(withVisitorCookie.status == .unauthorized)
            visitor.setCookie(SessionMiddleware.visitorCookie, "")
            let withoutCookies = try await TestApp.withBrowser(services) { stranger in
                try await stranger.send("/khmelnytskyi/reports", method: .post, headers: contentType, body: huge)
            }
            #expect(withoutCookies.status == .forbidden)
        }
        // A signed-in resident's upload carries the token in the action URL; without it, refused unread too.
        try await TestApp.withBrowser(services) { citizen in
            try await citizen.signIn("citizen@khmelnytskyi.demo")
            let refused = try await citizen.send("/khmelnytskyi/reports", method: .post,
                                                 headers: [.contentType: "multipart/form-data; boundary=x"], body: huge)
            #expect(refused.status == .forbidden)
        }
    }

    /// NUL and other control characters are refused with a message wherever text comes in, and
    /// line breaks in one-line fields; nothing is stored and nobody is signed in.
    @Test func controlCharactersAreRefusedInEveryTextInput() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        let key = try await services.reports.issueApplicationKey(name: "Перевірка \(UUID().uuidString.prefix(6))", by: admin, communityID: community.id, ip: nil)
        try await TestApp.withBrowser(services) { browser in
            try await browser.get("/signin")
            let signIn = try await browser.post("/signin", form: ["email": "citizen@khmelnytskyi.demo\u{0}anything", "password": DemoData.password])
            #expect(signIn.status == .unprocessableContent)
            #expect(signIn.body.contains("керівні символи"))
            #expect(browser.cookies[SessionMiddleware.sessionCookie] == nil)

            try await browser.signIn("citizen@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/petitions/new")
            let title = try await browser.post("/khmelnytskyi/petitions", form: [
                "title": "Заголовок петиції\r\nBcc: everyone@example.ua", "body": String(repeating: "Текст петиції про місто. ", count: 5)])
            #expect(title.status == .unprocessableContent)
            #expect(title.body.contains("одним рядком"))
            try await browser.get("/khmelnytskyi/appeals")
            let appeal = try await browser.post("/khmelnytskyi/appeals", form: [
                "topic": "other", "subject": "Тема", "body": "Текст звернення \u{1B}[2J з керівним символом"])
            #expect(appeal.status == .unprocessableContent)
        }
        #expect(try await services.database.query("SELECT 1 FROM petitions WHERE title LIKE 'Заголовок петиції%'").isEmpty)
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let open311 = try await client.execute(
                uri: "/open311/v2/requests.json", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "jurisdiction_id=khmelnytskyi&service_code=roads&lat=49.42&long=26.98&description=Pothole%00hidden&api_key=\(key)"))
            // Open311 answers its own 400 error document, naming the field.
            #expect(open311.status == .badRequest && String(buffer: open311.body).contains("description"))
            let json = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email":"citizen@khmelnytskyi.demo\u0000x","password":"demo-password"}"#))
            #expect(json.status == .unprocessableContent)
        }
        #expect(try await services.database.query("SELECT 1 FROM reports WHERE description LIKE 'Pothole%'").isEmpty)
    }

    /// `/metrics` names routes and pool sizes: only the configured addresses or token read it.
    @Test func metricsAreForTheConfiguredReadersOnly() async throws {
        let shared = try await services()
        var configuration = shared.configuration
        configuration.metricsAllowedIPs = []
        configuration.metricsToken = "metrics-token-0123456789"
        let services = try await AppServices(configuration: configuration, database: shared.database, logger: Logger(label: "test"))
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .forbidden)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong-token-0123456789"]).status == .forbidden)
            let allowed = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-0123456789"])
            #expect(allowed.status == .ok && String(buffer: allowed.body).contains("hromada_db_pool"))
        }
    }

    /// A signature that committed is answered as signed even when the connection drops right
    /// after the commit (the count read again after it, or the move past the threshold, fails):
    /// eight stored signatures were once answered 503.
    @Test func aCommittedSignatureIsAcknowledgedWhateverFailsAfterIt() async throws {
        let services = try await services()
        let dropped = PostgresError(kind: .connection, message: "server closed the connection unexpectedly")
        let afterLostRecount = await services.petitions.acknowledge(
            petitionID: 1, signaturesBefore: 499, threshold: 500, recount: { throw dropped },
            reachThreshold: { Issue.record("the threshold move needs a count that was read") })
        #expect(afterLostRecount == 500)
        let afterLostMove = await services.petitions.acknowledge(
            petitionID: 1, signaturesBefore: 499, threshold: 500, recount: { 503 }, reachThreshold: { throw dropped })
        #expect(afterLostMove == 503)
        // Far from the threshold the count is not read again at all.
        let far = await services.petitions.acknowledge(
            petitionID: 1, signaturesBefore: 10, threshold: 5_000, recount: { Issue.record("read again far from the threshold"); return 0 },
            reachThreshold: {})
        #expect(far == 11)
    }

    /// A moderator's own report is decided by another moderator.
    @Test func moderatorsDoNotDecideTheirOwnReports() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let moderator = try await Fixtures.viewer("moderator@khmelnytskyi.demo", services)
        let roads = try #require(try await services.reports.categories(of: community.id).first { $0.code == "roads" })
        let own = try await services.reports.file(
            ReportDraft(categoryID: roads.id, location: GeoPoint(latitude: 49.42, longitude: 26.98), address: "", description: "Яма біля мого дому"),
            by: .person(moderator), community: community, ip: nil)
        await #expect(throws: AppError.self) { try await services.reports.accept(own, by: moderator, community: community, ip: nil) }
        await #expect(throws: AppError.self) { try await services.reports.reject(own, reason: "Дублікат", by: moderator, community: community, ip: nil) }
        #expect(try await services.reports.find(own, communityID: community.id).status == .new)
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        try await services.reports.accept(own, by: admin, community: community, ip: nil)
        #expect(try await services.reports.find(own, communityID: community.id).status == .accepted)
    }
}
