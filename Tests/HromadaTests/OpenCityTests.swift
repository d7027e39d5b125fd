import Foundation
import FoundationXML
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

@Suite struct OpenCityTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "open_city") }



    func category(_ code: String, _ services: AppServices) async throws -> ReportCategory {
        try #require(try await services.reports.categories(of: try await Fixtures.community(services).id).first { $0.code == code })
    }

    /// A point `metres` north of a base point in an empty corner of the map.
    func point(_ metres: Double, base: Double) -> GeoPoint {
        GeoPoint(latitude: base + metres / 111_320, longitude: 27.2)
    }

    func file(_ services: AppServices, code: String = "street_lighting", at location: GeoPoint, by local: String = "citizen") async throws -> Int {
        try await services.reports.file(
            ReportDraft(categoryID: try await category(code, services).id, location: location, address: "", description: "Не світить ліхтар біля школи"),
            by: .person(try await Fixtures.viewer("\(local)@khmelnytskyi.demo", services)), community: try await Fixtures.community(services), ip: nil)
    }

    @Test func nearbyOpenReportsOfTheSameCategoryWithinFiftyMetres() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let base = 49.30 + Double.random(in: 0..<0.01)
        let first = try await file(services, at: point(0, base: base))
        let lighting = try await category("street_lighting", services)
        let near = try await services.reports.nearby(categoryID: lighting.id, location: point(40, base: base), communityID: community.id)
        #expect(near.map(\.id) == [first])
        #expect(try await services.reports.nearby(categoryID: lighting.id, location: point(60, base: base), communityID: community.id).isEmpty)
        let roads = try await category("roads", services)
        #expect(try await services.reports.nearby(categoryID: roads.id, location: point(10, base: base), communityID: community.id).isEmpty)
        try await services.reports.reject(first, reason: "Не в межах громади", by: try await Fixtures.viewer("moderator@khmelnytskyi.demo", services), community: community, ip: nil)
        #expect(try await services.reports.nearby(categoryID: lighting.id, location: point(10, base: base), communityID: community.id).isEmpty,
                "closed reports are not offered")
    }

    @Test func acceptedReportsGoToTheCategorysDepartmentWithItsTargetTime() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let id = try await file(services, code: "water_sewage", at: point(0, base: 49.25))
        try await services.reports.accept(id, by: try await Fixtures.viewer("moderator@khmelnytskyi.demo", services), community: community, ip: nil)
        let document = try #require(try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: String(id), communityID: community.id))
        let sewage = try await category("water_sewage", services)
        #expect(document.departmentID == sewage.departmentID && document.kind == .problemReport)
        // The category's target in calendar days; one ending on a day off moves to the next working day.
        let calendar = WorkingCalendar(holidays: try await services.communities.holidays(of: community.id))
        #expect(document.dueOn == calendar.dueDate(registeredOn: document.registeredOn, rule: .calendarDays(sewage.responseDays)))
        #expect(document.dueOn != calendar.dueDate(registeredOn: document.registeredOn, rule: DocumentKind.problemReport.defaultDeadline),
                "not the kind's default term")
        #expect(try await services.reports.find(id, communityID: community.id).status == .accepted)
        await #expect(throws: AppError.self) {
            try await services.reports.accept(id, by: try await Fixtures.viewer("moderator@khmelnytskyi.demo", services), community: community, ip: nil)
        }
    }

    @Test func theWorkflowMovesTheReportAndReopeningSendsItBack() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let id = try await file(services, at: point(0, base: 49.20))
        try await services.reports.support(id, by: try await Fixtures.viewer("newcomer@khmelnytskyi.demo", services), communityID: community.id, ip: nil)
        try await services.reports.accept(id, by: try await Fixtures.viewer("moderator@khmelnytskyi.demo", services), community: community, ip: nil)
        let head = try await Fixtures.viewer("head@khmelnytskyi.demo", services)
        let document = try #require(try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: String(id), communityID: community.id))
        try await services.workflow.perform(ActionRequest(.take), documentID: document.id, by: head, community: community)
        #expect(try await services.reports.find(id, communityID: community.id).status == .inProgress)
        try await services.workflow.perform(ActionRequest(.answer, comment: "Лампу замінено.", outcome: "resolved"), documentID: document.id,
                                            by: head, community: community)
        var report = try await services.reports.find(id, communityID: community.id)
        #expect(report.status == .resolved && report.statusNotes == "Лампу замінено." && report.resolvedAt != nil)
        let told: Int = try await services.database.query(
            "SELECT count(DISTINCT person_id)::int AS n FROM outbox_messages WHERE body LIKE '%/reports/' || $1", String(id))[0].decode("n")
        #expect(told == 2, "the reporter and the supporter are told")

        await #expect(throws: AppError.self) {
            try await services.reports.reopen(id, reason: "Досі темно", by: try await Fixtures.viewer("newcomer@khmelnytskyi.demo", services), community: community, ip: nil)
        }
        try await services.reports.reopen(id, reason: "Досі темно", by: try await Fixtures.viewer("citizen@khmelnytskyi.demo", services), community: community, ip: nil)
        report = try await services.reports.find(id, communityID: community.id)
        #expect(report.status == .accepted && report.reopened == 1 && report.resolvedAt == nil)
        let second = try #require(try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: "\(id).1", communityID: community.id))
        #expect(second.status == .registered)
        // An answer to the first round's document no longer moves the report.
        try await services.workflow.perform(ActionRequest(.take), documentID: second.id, by: head, community: community)
        try await services.workflow.perform(ActionRequest(.answer, comment: "Мережу відремонтовано.", outcome: "not_resolved"), documentID: second.id,
                                            by: head, community: community)
        #expect(try await services.reports.find(id, communityID: community.id).status == .notResolved)
        // Past 30 days a resolved report stays closed.
        let late = try await file(services, at: point(0, base: 49.18))
        try await services.database.query(
            "UPDATE reports SET status = 'resolved', status_notes = 'ok', resolved_at = now() - interval '31 days' WHERE id = $1", late)
        await #expect(throws: AppError.self) {
            try await services.reports.reopen(late, reason: "Знову", by: try await Fixtures.viewer("citizen@khmelnytskyi.demo", services), community: community, ip: nil)
        }
    }

    @Test func mergingADuplicateMovesItsPeople() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let original = try await file(services, at: point(0, base: 49.15), by: "citizen")
        let duplicate = try await file(services, at: point(5, base: 49.15), by: "newcomer")
        try await services.reports.support(duplicate, by: try await Fixtures.viewer("moderator@khmelnytskyi.demo", services), communityID: community.id, ip: nil)
        let moderator = try await Fixtures.viewer("moderator@khmelnytskyi.demo", services)
        await #expect(throws: AppError.self) {
            try await services.reports.merge(duplicate, into: duplicate, by: moderator, community: community, ip: nil)
        }
        try await services.reports.merge(duplicate, into: original, by: moderator, community: community, ip: nil)
        let merged = try await services.reports.find(duplicate, communityID: community.id)
        #expect(merged.status == .rejected && merged.mergedInto == original)
        #expect(try await services.reports.find(original, communityID: community.id).supporters == 2)
    }

    @Test func aRenamedFileAndAMissingPlaceAreRefusedAndNothingIsStored() async throws {
        let services = try await services()
        let lighting = try await category("street_lighting", services)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/reports/new")
            let noPlace = try await browser.postMultipart("/khmelnytskyi/reports", form: [
                "category": String(lighting.id), "latitude": "", "longitude": "", "description": "Темно на всій вулиці",
            ], files: [])
            #expect(noPlace.status == .unprocessableContent && noPlace.body.contains("field-error"))
            let renamed = try await browser.postMultipart("/khmelnytskyi/reports", form: [
                "category": String(lighting.id), "latitude": "49.1", "longitude": "27.3", "description": "Темно на всій вулиці",
            ], files: [("photos", "lamp.png", Array("I am text".utf8))])
            #expect(renamed.status == .unprocessableContent)
            let stored: Int = try await services.database.query(
                "SELECT count(*)::int AS n FROM reports WHERE description = 'Темно на всій вулиці'")[0].decode("n")
            #expect(stored == 0)
            let badBox = try await browser.get("/khmelnytskyi/reports.geojson?bbox=1,2,3")
            #expect(badBox.status == .badRequest)
            let box = try await browser.get("/khmelnytskyi/reports.geojson?bbox=26.9,49.3,27.1,49.5&status=open")
            #expect(box.status == .ok && box.headers[.contentType] == "application/geo+json" && box.body.contains(#""type":"FeatureCollection""#))
        }
    }
}

/// The acceptance path through the pages: a resident reports a broken light with a photo, a
/// moderator accepts it, the lighting department answers, and the report shows it resolved.
@Suite struct OpenCityJourneyTests {
    @Test func aBrokenLightFromReportToResolved() async throws {
        let services = try await TestApp.services(suite: "open_city_journey")
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let lighting = try #require(try await services.reports.categories(of: community.id).first { $0.code == "street_lighting" })
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let form = try await browser.get("/khmelnytskyi/reports/new")
            #expect(form.body.contains(#"enctype="multipart/form-data""#))
            let fields = ["category": String(lighting.id), "latitude": "49.3001", "longitude": "26.8001", "address": "вул. Тестова, 1",
                          "description": "Не світить ліхтар біля під'їзду"]
            let filed = try await browser.postMultipart("/khmelnytskyi/reports", form: fields, files: [("photos", "lamp.jpg", SampleImages.jpegWithGPS)])
            let path = try #require(filed.location)
            let id = try #require(Int(path.split(separator: "/").last ?? ""))
            // A second report of the same kind 20 m away is first offered the existing one.
            var nearby = fields
            nearby["latitude"] = "49.30028"
            let offered = try await browser.postMultipart("/khmelnytskyi/reports", form: nearby, files: [])
            #expect(offered.status == .ok && offered.body.contains("#\(id)") && offered.body.contains(#"name="confirm" value="yes""#))

            try await browser.signIn("moderator@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/moderation/reports")
            try await browser.post("/khmelnytskyi/moderation/reports/\(id)", form: ["decision": "accept"])
            let document = try #require(try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: String(id), communityID: community.id))
            #expect(document.departmentID == lighting.departmentID)

            try await browser.signIn("official@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/office/documents/\(document.id)")
            try await browser.post("/khmelnytskyi/office/documents/\(document.id)/actions", form: ["action": "take"])
            try await browser.get("/khmelnytskyi/office/documents/\(document.id)")
            try await browser.post("/khmelnytskyi/office/documents/\(document.id)/actions", form: [
                "action": "answer", "outcome": "resolved", "comment": "Замінено світильник, освітлення працює.",
            ])
            let page = try await browser.get(path)
            #expect(page.body.contains("вирішено") && page.body.contains("Замінено світильник, освітлення працює."))
            #expect(page.body.contains("/media/"))
            let citizen = try #require(try await services.accounts.person(email: "citizen@khmelnytskyi.demo"))
            let told: Int = try await services.database.query(
                "SELECT count(*)::int AS n FROM outbox_messages WHERE person_id = $1 AND body LIKE '%/reports/' || $2", citizen.id, String(id)
            )[0].decode("n")
            #expect(told >= 3, "accepted, in progress and resolved")
        }
    }
}

/// Open311 GeoReport v2, field by field, in JSON and XML.
@Suite struct Open311Tests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "open311") }

    func json(_ response: TestResponse) throws -> Any { try JSONSerialization.jsonObject(with: Data(buffer: response.body)) }

    /// The element names of an XML body, in document order; parsing fails the test if it is not XML.
    func elements(_ response: TestResponse) throws -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            var names: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                names.append(name)
            }
        }
        let parser = XMLParser(data: Data(buffer: response.body))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "well-formed XML")
        return collector.names
    }

    static let requestFields: Set<String> = [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
        "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
        "media_url",
    ]

    @Test func servicesAndDefinitions() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let list = try await client.execute(uri: "/open311/v2/services.json?jurisdiction_id=khmelnytskyi", method: .get)
            #expect(list.status == .ok && list.headers[.contentType]?.hasPrefix("application/json") == true)
            let services311 = try #require(try json(list) as? [[String: Any]])
            #expect(services311.count == 6)
            let roads = try #require(services311.first { $0["service_code"] as? String == "roads" })
            #expect(Set(roads.keys) == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"])
            #expect(roads["metadata"] as? Bool == true && roads["type"] as? String == "realtime")
            let xml = try await client.execute(uri: "/open311/v2/services.xml?jurisdiction_id=khmelnytskyi", method: .get)
            #expect(xml.headers[.contentType]?.hasPrefix("text/xml") == true)
            let names = try elements(xml)
            #expect(names.first == "services" && names.filter { $0 == "service" }.count == 6 && names.contains("service_code"))

            let definition = try #require(try json(try await client.execute(uri: "/open311/v2/services/roads.json?jurisdiction_id=khmelnytskyi", method: .get))
                as? [String: Any])
            #expect(definition["service_code"] as? String == "roads")
            let attribute = try #require((definition["attributes"] as? [[String: Any]])?.first)
            #expect(Set(attribute.keys) == ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"])
            #expect((attribute["values"] as? [[String: Any]])?.map { $0["key"] as? String } == ["small", "medium", "large"])
            let definitionXML = try elements(try await client.execute(uri: "/open311/v2/services/roads.xml?jurisdiction_id=khmelnytskyi", method: .get))
            #expect(Array(definitionXML.prefix(4)) == ["service_definition", "service_code", "attributes", "attribute"])
            let missing = try await client.execute(uri: "/open311/v2/services/nothing.json?jurisdiction_id=khmelnytskyi", method: .get)
            #expect(missing.status == .notFound)
            let error = try #require((try json(missing) as? [[String: Any]])?.first)
            #expect(error["code"] as? Int == 404 && error["description"] is String)
            let unknown = try await client.execute(uri: "/open311/v2/services.xml?jurisdiction_id=nowhere", method: .get)
            let unknownElements = try elements(unknown)
            #expect(unknown.status == .notFound && unknownElements.starts(with: ["errors", "error", "code", "description"]))
            #expect(try await client.execute(uri: "/open311/v2/services.txt?jurisdiction_id=khmelnytskyi", method: .get).status == .notFound)
        }
    }

    /// An administrator issues an Open311 key on the page (shown once), it files reports, and once
    /// revoked it is refused; both steps are in the audit log.
    @Test func applicationKeysAreIssuedAndRevokedOnThePage() async throws {
        let services = try await services()
        let name = "Мобільний застосунок \(UUID().uuidString.prefix(6))"
        let key = try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/admin/reports")
            let issued = try await browser.post("/khmelnytskyi/admin/reports/keys", form: ["name": name])
            #expect(issued.status == .ok)
            let match = try #require(issued.body.firstMatch(of: #/<code class="receipt">([^<]+)</code>/#))
            return String(match.output.1)
        }
        let application: Int = try await services.database.query("SELECT id FROM open311_applications WHERE name = $1", name)[0].decode("id")
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            func file() async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/open311/v2/requests.json", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "jurisdiction_id=khmelnytskyi&service_code=roads&lat=49.42&long=26.98&description=Pothole+by+the+bus+stop"
                                     + "&attribute%5Bsize%5D=large&email=app%40example.ua&api_key=\(key)")).status
            }
            let filed = try await file()
            #expect(filed == .created)
            try await TestApp.withBrowser(services) { browser in
                try await browser.signIn("admin@khmelnytskyi.demo")
                try await browser.get("/khmelnytskyi/admin/reports")
                let revoked = try await browser.post("/khmelnytskyi/admin/reports/keys/\(application)/revoke", form: [:])
                #expect(revoked.status == .seeOther)
            }
            let refused = try await file()
            #expect(refused == .forbidden)
        }
        let audited = try await services.database.query(
            "SELECT action FROM audit_log WHERE action LIKE 'opencity.api_key_%' ORDER BY id")
            .map { try $0.decode("action", as: String.self) }
        #expect(audited.suffix(2) == ["opencity.api_key_issue", "opencity.api_key_revoke"])
    }

    @Test func postingReadingAndFiltering() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let old = try await services.reports.file(
            ReportDraft(categoryID: try #require(try await services.reports.categories(of: community.id).first { $0.code == "waste" }).id,
                        location: GeoPoint(latitude: 49.41, longitude: 26.95), address: "", description: "Старе звалище біля річки"),
            by: .person(try #require(try await services.accounts.viewer(email: "citizen@khmelnytskyi.demo"))), community: community, ip: nil)
        try await services.database.query("UPDATE reports SET created_at = now() - interval '100 days' WHERE id = $1", old)
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            func post(_ body: String, _ format: String = "json") async throws -> TestResponse {
                try await client.execute(uri: "/open311/v2/requests.\(format)", method: .post,
                                         headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body))
            }
            let fields = "jurisdiction_id=khmelnytskyi&service_code=roads&lat=49.4201&long=26.9801&description=Pothole+on+the+crossing&attribute%5Bsize%5D=large&first_name=Olha&email=olha%40example.ua"
            let noKey = try await post(fields)
            let noKeyError = try json(noKey) as? [[String: Any]]
            #expect(noKey.status == .forbidden && noKeyError?.first?["code"] as? Int == 403)
            let badKey = try await post(fields + "&api_key=wrong", "xml")
            let badKeyElements = try elements(badKey)
            #expect(badKey.status == .forbidden && badKeyElements.starts(with: ["errors", "error"]))
            let badAttribute = try await post(fields.replacingOccurrences(of: "large", with: "enormous") + "&api_key=\(DemoData.open311Key)")
            #expect(badAttribute.status == .badRequest)
            let noPlace = try await post("jurisdiction_id=khmelnytskyi&service_code=roads&description=Somewhere&api_key=\(DemoData.open311Key)")
            #expect(noPlace.status == .badRequest)
            let created = try await post(fields + "&api_key=\(DemoData.open311Key)")
            #expect(created.status == .created)
            let receipt = try #require((try json(created) as? [[String: Any]])?.first)
            let id = try #require(receipt["service_request_id"] as? String)
            #expect(receipt["token"] as? String == "hromada-\(id)" && receipt.keys.contains("service_notice"))

            let one = try await client.execute(uri: "/open311/v2/requests/\(id).json?jurisdiction_id=khmelnytskyi", method: .get)
            let request = try #require((try json(one) as? [[String: Any]])?.first)
            #expect(Set(request.keys) == Self.requestFields)
            #expect(request["status"] as? String == "open" && request["service_code"] as? String == "roads")
            #expect(request["lat"] as? Double == 49.4201 && request["long"] as? Double == 26.9801)
            #expect(request["description"] as? String == "Pothole on the crossing")
            let oneXML = try elements(try await client.execute(uri: "/open311/v2/requests/\(id).xml?jurisdiction_id=khmelnytskyi", method: .get))
            #expect(oneXML.first == "service_requests" && oneXML[1] == "request" && Self.requestFields.isSubset(of: Set(oneXML)))
            #expect(try await client.execute(uri: "/open311/v2/requests/999999.json?jurisdiction_id=khmelnytskyi", method: .get).status == .notFound)
            // The reporter named by e-mail is told when a moderator accepts the request.
            try await services.reports.accept(try #require(Int(id)), by: try #require(try await services.accounts.viewer(email: "moderator@khmelnytskyi.demo")),
                                              community: community, ip: nil)
            let mailed: Int = try await services.database.query(
                "SELECT count(*)::int AS n FROM outbox_messages WHERE to_address = 'olha@example.ua' AND body LIKE '%/reports/' || $1", id)[0].decode("n")
            #expect(mailed == 1)
            let token = try #require((try json(try await client.execute(uri: "/open311/v2/tokens/hromada-\(id).json?jurisdiction_id=khmelnytskyi", method: .get))
                as? [[String: Any]])?.first)
            #expect(token["service_request_id"] as? String == id)

            func ids(_ query: String) async throws -> [String] {
                let response = try await client.execute(uri: "/open311/v2/requests.json?jurisdiction_id=khmelnytskyi&\(query)", method: .get)
                #expect(response.status == .ok, "\(query)")
                return (try json(response) as? [[String: Any]] ?? []).compactMap { $0["service_request_id"] as? String }
            }
            let recent = try await ids("")
            #expect(recent.contains(id) && !recent.contains(String(old)), "the last 90 days by default")
            #expect(try await ids("service_request_id=\(id),\(old)").sorted() == [id, String(old)].sorted())
            let roads = try await ids("service_code=roads"), waste = try await ids("service_code=waste")
            #expect(roads.contains(id) && !waste.contains(id))
            let closed = try await ids("status=closed"), open = try await ids("status=open")
            #expect(!closed.contains(id) && open.contains(id))
            let yearAgo = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-365 * 86_400))
            let weekAgo = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-7 * 86_400))
            let period = try await ids("start_date=\(yearAgo)&end_date=\(weekAgo)")
            #expect(period.contains(String(old)) && !period.contains(id))
            for bad in ["start_date=yesterday", "status=pending", "service_code=nothing", "service_request_id=a,b"] {
                let response = try await client.execute(uri: "/open311/v2/requests.json?jurisdiction_id=khmelnytskyi&\(bad)", method: .get)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }
}

/// The moderators' queue of new reports, in its own database so that its count is its own.
@Suite struct ReportModerationQueueTests {
    @Test func theQueueIsPagedLongestWaitingFirstWithItsCount() async throws {
        let services = try await TestApp.services(suite: "report_moderation_queue")
        let reports = OpenCityTests()
        let community = try await Fixtures.community(services)
        let lighting = try await reports.category("street_lighting", services)
        var newlyFiled: [Int] = []
        // one report each, so that no resident meets the limit on new reports
        for (n, resident) in try await Fixtures.residents(ReportModerationRoutes.reportsPerPage + 5, services).enumerated() {
            newlyFiled.append(try await services.reports.file(
                ReportDraft(categoryID: lighting.id, location: reports.point(Double(n * 100), base: 49.36), address: "", description: "Не світить ліхтар"),
                by: .person(resident), community: community, ip: nil))
        }
        let filed = newlyFiled
        let waiting = try await services.database.query("SELECT id FROM reports WHERE status = 'new' ORDER BY created_at, id")
            .map { try $0.decode("id", as: Int.self) }
        #expect(Array(waiting.suffix(filed.count)) == filed)
        try await TestApp.withBrowser(services) { moderator in
            try await moderator.signIn("moderator@khmelnytskyi.demo")
            let first = try await moderator.get("/khmelnytskyi/moderation/reports").body
            #expect(first.contains(services.catalogue.count("report.waiting", waiting.count, .uk)))
            #expect(first.components(separatedBy: #"<article class="card" id="report-"#).count - 1 == ReportModerationRoutes.reportsPerPage)
            #expect(first.contains("#\(waiting[0]) ·"), "the longest-waiting report comes first")
            #expect(first.contains(#"rel="next""#) && !first.contains(#"rel="prev""#))
            let lastPage = (waiting.count + ReportModerationRoutes.reportsPerPage - 1) / ReportModerationRoutes.reportsPerPage
            let last = try await moderator.get("/khmelnytskyi/moderation/reports?page=\(lastPage)").body
            #expect(last.contains("#\(filed.last!) ·") && !last.contains(#"rel="next""#) && last.contains(#"rel="prev""#))
            // A waiting report's page leads its moderator to the queue page that holds it.
            let report = try await moderator.get("/khmelnytskyi/reports/\(filed.last!)").body
            #expect(report.contains("/khmelnytskyi/moderation/reports?page=\(lastPage)#report-\(filed.last!)"))
            #expect(last.contains(#"id="report-\#(filed.last!)""#))
            let beyond = try await moderator.get("/khmelnytskyi/moderation/reports?page=\(PageNumber.maximum)")
            #expect(beyond.status == .ok && !beyond.body.contains(#"<article class="card""#))
        }
    }
}
