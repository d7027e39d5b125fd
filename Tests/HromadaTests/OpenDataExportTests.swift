import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import Testing

@testable import Hromada

@Suite struct CSVFormulaTests {
    @Test func fieldsASpreadsheetWouldRunAreQuotedAsText() {
        #expect(CSV.line([#"=HYPERLINK("https://evil.example","x")"#]) == #""'=HYPERLINK(""https://evil.example"",""x"")""#)
        #expect(CSV.line(["+1+cmd", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "a=b"]) == "'+1+cmd,'-2+3,'@SUM(A1),'\tTAB,\"'\rCR\",a=b")
    }

    @Test func plainNumbersStayNumbers() {
        #expect(CSV.line(["-12.5", "+3", "-0.000001", "-", "-.5", "-5."]) == "-12.5,+3,-0.000001,'-,'-.5,'-5.")
    }
}

/// The open-data exports stream from the export pool, neutralise formulas and answer 304 to a
/// matching ETag. Serialized: a test's ETags must not see another test's rows arrive.
@Suite(.serialized) struct OpenDataExportTests {
    actor Gate {
        private(set) var isOpen = false
        func open() { isOpen = true }
    }

    func services() async throws -> AppServices { try await TestApp.services(suite: "open_data_exports") }

    /// `count` signers of the petition with the names `Підписант 1`…, signing one millisecond apart after its author.
    func addSigners(_ count: Int, to petitionID: Int, _ services: AppServices) async throws {
        try await services.database.query(
            """
            WITH signers AS (
                INSERT INTO people (email, password_hash, full_name)
                SELECT 'signer-' || $1::bigint || '-' || n || '@export.test', 'x', 'Підписант ' || n FROM generate_series(1, $2::int) n
                RETURNING id, full_name
            )
            INSERT INTO petition_signatures (petition_id, person_id, signed_at, email_domain)
            SELECT $1::bigint, id, now() + make_interval(secs => substr(full_name, 11)::int / 1000.0), 'export.test' FROM signers
            """, petitionID, count)
    }

    @Test func signaturesExportHasEveryRowInOrderFromTheExportPool() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services)
        try await addSigners(2_499, to: petition.id, services)
        let lines = try await TestApp.withBrowser(services) { browser in
            let page = try await browser.get("/khmelnytskyi/open-data/signatures.csv")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/csv; charset=utf-8")
            return page.body.components(separatedBy: "\r\n")
        }
        #expect(lines.first == "petition_id,name,signed_at")
        #expect(lines.last == "", "the file ends with a line break")
        let rows = lines.filter { $0.hasPrefix("\(petition.id),") }
        // The author signed on publication, then 2,499 more: three batches of the cursor.
        #expect(rows.count == 2_500)
        let names = rows.dropFirst().map { $0.split(separator: ",")[1] }
        #expect(names == (1...2_499).map { "Підписант \($0)"[...] })
        #expect(services.exports.statistics.open >= 1, "the rows came through the export pool")

        let json = try await TestApp.withBrowser(services) { try await $0.get("/khmelnytskyi/open-data/signatures.json") }
        struct Signer: Decodable {
            var petitionId: Int
            var name: String
            var signedAt: Date
        }
        let signers = try JSONResponse.decoder.decode([Signer].self, from: Data(json.body.utf8)).filter { $0.petitionId == petition.id }
        #expect(signers.count == 2_500)
        #expect(signers.last?.name == "Підписант 2499")
    }

    @Test func formulasInPetitionsAndSignersAreNeutralised() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services, title: #"=HYPERLINK("https://evil.example","Підписати")"#)
        try await services.database.query(
            """
            WITH signer AS (INSERT INTO people (email, password_hash, full_name) VALUES ($2, 'x', '@SUM(1+1)*cmd') RETURNING id)
            INSERT INTO petition_signatures (petition_id, person_id, email_domain) SELECT $1, id, 'export.test' FROM signer
            """, petition.id, "formula-\(petition.id)@export.test")
        try await TestApp.withBrowser(services) { browser in
            let petitions = try await browser.get("/khmelnytskyi/open-data/petitions.csv").body
            #expect(petitions.contains(#"\#(petition.id),"'=HYPERLINK(""https://evil.example"",""Підписати"")",collecting"#))
            #expect(!petitions.contains(#",=HYPERLINK"#) && !petitions.contains(#","=HYPERLINK"#))
            let signatures = try await browser.get("/khmelnytskyi/open-data/signatures.csv").body
            #expect(signatures.contains("\(petition.id),'@SUM(1+1)*cmd,"))
        }
    }

    @Test func matchingETagAnswers304UntilTheDataChanges() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services)
        try await TestApp.withBrowser(services) { browser in
            let first = try await browser.get("/khmelnytskyi/open-data/petitions.csv")
            let tag = try #require(first.headers[.eTag])
            #expect(first.headers[.cacheControl] == "public, max-age=300, stale-while-revalidate=300")
            #expect(first.headers[.setCookie] == nil, "a response caches may share sets no visitor cookie")
            let again = try await browser.get("/khmelnytskyi/open-data/petitions.csv", headers: [.ifNoneMatch: "\"other\", W/\(tag)"])
            #expect(again.status == .notModified)
            #expect(again.body.isEmpty)
            #expect(again.headers[.eTag] == tag)

            try await addSigners(1, to: petition.id, services)
            let changed = try await browser.get("/khmelnytskyi/open-data/petitions.csv", headers: [.ifNoneMatch: tag])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != tag)

            // A small export built in memory is tagged by its bytes.
            let cycle: Int = try await services.database.query("SELECT min(id) AS id FROM budget_cycles")[0].decode("id")
            let projects = try await browser.get("/khmelnytskyi/open-data/budget/\(cycle)/projects.csv")
            let projectsTag = try #require(projects.headers[.eTag])
            #expect(try await browser.get("/khmelnytskyi/open-data/budget/\(cycle)/projects.csv", headers: [.ifNoneMatch: projectsTag]).status
                    == .notModified)
        }
    }

    @Test func reportsExportHasEveryReportOfThePeriod() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let citizen = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services)
        try await services.database.query(
            """
            INSERT INTO reports (community_id, category_id, author_id, location, description, created_at)
            SELECT $1, (SELECT min(id) FROM report_categories WHERE community_id = $1), $2,
                   ST_SetSRID(ST_MakePoint(26.98 + n / 100000.0, 49.42), 4326), 'Вибоїна на дорозі номер ' || n,
                   timestamptz '2001-01-01' + make_interval(hours => n)
            FROM generate_series(1, 1200) n
            """, community.id, citizen.person.id)
        let expected: Int = try await services.database.query(
            "SELECT count(*)::int AS n FROM reports WHERE community_id = $1 AND created_at >= '2000-01-01'", community.id)[0].decode("n")
        try await TestApp.withBrowser(services) { browser in
            let csv = try await browser.get("/khmelnytskyi/open-data/reports.csv?from=2000-01-01")
            #expect(csv.status == .ok)
            let lines = csv.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.count == expected + 1)
            #expect(lines.last?.contains("Вибоїна на дорозі номер 1,") == true, "newest first: the oldest comes last")

            let geoJSON = try await browser.get("/khmelnytskyi/open-data/reports.geojson?from=2000-01-01")
            let collection = try #require(try JSONSerialization.jsonObject(with: Data(geoJSON.body.utf8)) as? [String: Any])
            #expect(collection["type"] as? String == "FeatureCollection")
            #expect((collection["features"] as? [Any])?.count == expected)
        }
    }

    /// With every export connection busy and a full queue behind it, the next download is refused
    /// at once with 503 and `Retry-After` instead of holding another connection.
    @Test func downloadsBeyondTheQueueAreRefused() async throws {
        let shared = try await services()
        var configuration = shared.configuration
        configuration.exportConnections = 1
        let services = try await AppServices(configuration: configuration, database: shared.database, logger: shared.logger)
        let gate = Gate()
        let holders = (0...OpenDataExport.queuedExportsPerConnection).map { _ in
            Task { try await services.exports.withConnection { _ in while await !gate.isOpen { try await Task.sleep(for: .milliseconds(10)) } } }
        }
        while services.exports.statistics.waiting < OpenDataExport.queuedExportsPerConnection { try await Task.sleep(for: .milliseconds(10)) }
        let refused = try await TestApp.withBrowser(services) { try await $0.get("/khmelnytskyi/open-data/signatures.csv") }
        #expect(refused.status == .serviceUnavailable)
        #expect(refused.headers[.retryAfter] != nil)
        await gate.open()
        for holder in holders { try await holder.value }
        let served = try await TestApp.withBrowser(services) { try await $0.get("/khmelnytskyi/open-data/signatures.csv") }
        #expect(served.status == .ok)
        await services.exports.shutdown()
    }
}
