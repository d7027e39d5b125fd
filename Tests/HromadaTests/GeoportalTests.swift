import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

@Suite struct GeoportalRulesTests {
    let schema = [
        AttributeField(name: "name", type: .text, labelUK: "Назва", labelEN: "Name", required: true),
        AttributeField(name: "power", type: .integer, labelUK: "", labelEN: ""),
        AttributeField(name: "area", type: .number, labelUK: "", labelEN: ""),
        AttributeField(name: "leased", type: .boolean, labelUK: "", labelEN: ""),
        AttributeField(name: "since", type: .date, labelUK: "", labelEN: ""),
    ]

    @Test func attributesAreCheckedAndConverted() throws {
        let good = try AttributeSchema.validate(
            ["name": .string("Ліхтар"), "power": .string("60"), "area": .string("12,5"), "leased": .bool(true), "since": .string("2020-05-01"),
             "unknown": .string("dropped")], against: schema).get()
        #expect(good == ["name": .text("Ліхтар"), "power": .integer(60), "area": .number(12.5), "leased": .boolean(true), "since": .text("2020-05-01")])
        for (values, field) in [(["power": JSONValue.number(1)], "name"), (["name": .string("x"), "power": .number(1.5)], "power"),
                                (["name": .string("x"), "leased": .string("maybe")], "leased"), (["name": .string("x"), "since": .string("2020-13-01")], "since"),
                                (["name": .string("x"), "area": .bool(true)], "area")] {
            if case .failure(let error) = AttributeSchema.validate(values, against: schema) { #expect(error.field == field) }
            else { Issue.record("accepted \(values)") }
        }
    }

    @Test func csvFieldsMayBeQuoted() {
        #expect(CSVReader.rows("id,name\n1,\"Вулиця, 5\"\n2,\"Він сказав \"\"так\"\"\"\n") == [["id", "name"], ["1", "Вулиця, 5"], ["2", "Він сказав \"так\""]])
    }
}

@Suite struct GeoportalTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "geoportal") }

    func makeRegister(_ services: AppServices, _ type: GeometryType = .point) async throws -> GISRegister {
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let lighting = try #require(try await services.communities.departments(of: community.id).first { $0.slug == "street-lighting" })
        return try await services.geoportal.createRegister(
            code: "test-\(UUID().uuidString.prefix(6).lowercased())", nameUK: "Тест", nameEN: "Test", description: "", departmentID: lighting.id,
            geometryType: type, schema: [AttributeField(name: "power", type: .integer, labelUK: "Потужність", labelEN: "Power", required: true)],
            feedbackCategories: ["street_lighting"], communityID: community.id, by: nil)
    }

    func feature(_ id: String, _ geometry: String, _ power: String) -> String {
        #"{"type":"Feature","id":"\#(id)","geometry":\#(geometry),"properties":{"power":\#(power)}}"#
    }

    @Test func importReportsRejectsAndReimportUpdatesInPlace() async throws {
        let services = try await services()
        let register = try await makeRegister(services)
        let bowtie = #"{"type":"Polygon","coordinates":[[[27,49],[27.01,49.01],[27.01,49],[27,49.01],[27,49]]]}"#
        let file = #"{"type":"FeatureCollection","features":["# + [
            feature("a", #"{"type":"Point","coordinates":[27.0,49.4]}"#, "60"),
            feature("b", #"{"type":"Point","coordinates":[27.1,49.41]}"#, "\"сто\""),
            feature("c", #"{"type":"LineString","coordinates":[[27,49],[27.1,49.1]]}"#, "60"),
            feature("d", #"{"type":"Point","coordinates":["x",49]}"#, "60"),
            #"{"type":"Feature","geometry":{"type":"Point","coordinates":[27,49]},"properties":{"power":1}}"#,
            feature("f", #"{"type":"Point","coordinates":[27.2,49.42]}"#, "100"),
        ].joined(separator: ",") + "]}"
        var progress: [Int] = []
        let first = try await LayerImport(store: services.geoportal, register: register).run(Data(file.utf8), fileName: "x.geojson", actorID: nil) { done, _ in
            progress.append(done)
        }
        #expect(first.inserted == 2 && first.updated == 0)
        #expect(first.rejected.map(\.number) == [2, 3, 4, 5])
        #expect(first.rejected[0].reason.contains("power"))
        #expect(progress == [2])
        // A polygon register refuses an invalid (self-intersecting) polygon by its feature number.
        let polygons = try await makeRegister(services, .polygon)
        let invalid = try await LayerImport(store: services.geoportal, register: polygons).run(
            Data((#"{"type":"FeatureCollection","features":["# + feature("p", bowtie, "1") + "]}").utf8), fileName: "p.geojson", actorID: nil) { _, _ in }
        #expect(invalid.inserted == 0 && invalid.rejected == [LayerImport.Rejection(number: 1, reason: "invalid geometry")])

        let again = #"{"type":"FeatureCollection","features":["# + feature("a", #"{"type":"Point","coordinates":[27.0,49.4]}"#, "75") + "]}"
        let second = try await LayerImport(store: services.geoportal, register: register).run(Data(again.utf8), fileName: "x.geojson", actorID: nil) { _, _ in }
        #expect(second.inserted == 0 && second.updated == 1)
        let (objects, matched) = try await services.geoportal.objects(in: register, boundingBox: nil, filters: [:], limit: 10, offset: 0)
        #expect(matched == 2)
        let a = try #require(objects.first { $0.sourceID == "a" })
        #expect(a.attributes["power"] == .integer(75) && a.version == 2)
        let history = try await services.geoportal.history(of: a.id)
        #expect(history.map(\.version) == [1] && history.first?.attributes["power"] == .integer(60))

        try await TestApp.withBrowser(services) { browser in
            let exported = try await browser.get("/khmelnytskyi/open-data/registers/\(register.code).geojson")
            #expect(exported.headers[.contentType] == "application/geo+json")
            #expect(exported.body.contains(#""source_id": "a""#))
            let table = try await browser.get("/khmelnytskyi/open-data/registers/\(register.code).csv")
            #expect(table.body.hasPrefix("id,source_id,version,latitude,longitude,geometry,power") && table.body.contains(",a,2,"))
        }
        let csv = "id,lat,lon,power\nq1,49.43,27.05,40\nq2,north,27.05,40\n"
        let fromCSV = try await LayerImport(store: services.geoportal, register: register).run(Data(csv.utf8), fileName: "x.csv", actorID: nil) { _, _ in }
        #expect(fromCSV.inserted == 1 && fromCSV.rejected.map(\.number) == [2])
    }

    @Test func feedbackBecomesALinkedReportWithTheRegistersDepartment() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let register = try await makeRegister(services)
        _ = try await LayerImport(store: services.geoportal, register: register).run(
            Data((#"{"type":"FeatureCollection","features":["# + feature("lamp", #"{"type":"Point","coordinates":[26.99,49.43]}"#, "60") + "]}").utf8),
            fileName: "x.geojson", actorID: nil) { _, _ in }
        let object = try #require(try await services.geoportal.objects(in: register, boundingBox: nil, filters: ["power": "60"], limit: 1, offset: 0).objects.first)
        let lighting = try #require(try await services.reports.categories(of: community.id).first { $0.code == "street_lighting" })
        let roads = try #require(try await services.reports.categories(of: community.id).first { $0.code == "roads" })
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let path = "/khmelnytskyi/map/\(register.code)/\(object.id)"
            let page = try await browser.get(path)
            #expect(page.status == .ok && page.body.contains("Потужність") && page.body.contains("\(path)/feedback"))
            let wrong = try await browser.postMultipart("\(path)/feedback", form: ["category": String(roads.id), "description": "Не світить уже тиждень"], files: [])
            #expect(wrong.status == .unprocessableContent)
            let sent = try await browser.postMultipart("\(path)/feedback", form: ["category": String(lighting.id), "description": "Не світить уже тиждень"], files: [])
            let reportPath = try #require(sent.location)
            let reportID = try #require(Int(reportPath.split(separator: "/").last ?? ""))
            let report = try await services.reports.find(reportID, communityID: community.id)
            #expect(report.status == .accepted && abs(report.location.latitude - 49.43) < 1e-6)
            let document = try #require(try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: String(reportID), communityID: community.id))
            #expect(document.kind == .geoFeedback && document.departmentID == register.departmentID && document.reference.hasPrefix("ГП-"))
            #expect(try await services.geoportal.reports(about: object.id, communityID: community.id).map(\.id) == [reportID])
            // The department's answer shows on the object's page.
            let head = try #require(try await services.accounts.viewer(email: "head@khmelnytskyi.demo"))
            try await services.workflow.perform(ActionRequest(.take), documentID: document.id, by: head, community: community)
            try await services.workflow.perform(ActionRequest(.answer, comment: "Світильник замінено.", outcome: "resolved"), documentID: document.id,
                                                by: head, community: community)
            let after = try await browser.get(path)
            #expect(after.body.contains("#\(reportID)") && after.body.contains("вирішено"))
        }
    }

    @Test func reportsNearAnObjectAreSuggestedAndLinked() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let register = try await makeRegister(services)
        _ = try await LayerImport(store: services.geoportal, register: register).run(
            Data((#"{"type":"FeatureCollection","features":["# + feature("pole", #"{"type":"Point","coordinates":[27.3,49.2]}"#, "60") + "]}").utf8),
            fileName: "x.geojson", actorID: nil) { _, _ in }
        let lighting = try #require(try await services.reports.categories(of: community.id).first { $0.code == "street_lighting" })
        let citizen = try #require(try await services.accounts.viewer(email: "citizen@khmelnytskyi.demo"))
        func file(metresNorth: Double) async throws -> Report {
            let id = try await services.reports.file(
                ReportDraft(categoryID: lighting.id, location: GeoPoint(latitude: 49.2 + metresNorth / 111_320, longitude: 27.3), address: "",
                            description: "Ліхтар не світить"), by: .person(citizen), community: community, ip: nil)
            return try await services.reports.find(id, communityID: community.id)
        }
        let near = try await file(metresNorth: 20)
        let suggestion = try #require(try await services.geoportal.suggestedObject(for: near, communityID: community.id))
        #expect(suggestion.object.sourceID == "pole")
        let far = try await file(metresNorth: 45)
        #expect(try await services.geoportal.suggestedObject(for: far, communityID: community.id) == nil)
        // Only what could be suggested can be linked: not an object 45 m (or 6 km) away, nor one
        // whose register does not take the report's category.
        for reportID in [far.id, try await file(metresNorth: 6_000).id] {
            await #expect(throws: AppError.self) {
                try await services.geoportal.link(reportID: reportID, objectID: suggestion.object.id, by: citizen, communityID: community.id, ip: nil)
            }
            #expect(try await services.reports.find(reportID, communityID: community.id).gisObjectID == nil)
        }
        let roads = try #require(try await services.reports.categories(of: community.id).first { $0.code == "roads" })
        let pothole = try await services.reports.file(
            ReportDraft(categoryID: roads.id, location: GeoPoint(latitude: 49.2 + 10 / 111_320, longitude: 27.3), address: "", description: "Яма біля опори"),
            by: .person(citizen), community: community, ip: nil)
        await #expect(throws: AppError.self) {
            try await services.geoportal.link(reportID: pothole, objectID: suggestion.object.id, by: citizen, communityID: community.id, ip: nil)
        }
        try await services.geoportal.link(reportID: near.id, objectID: suggestion.object.id, by: citizen, communityID: community.id, ip: nil)
        #expect(try await services.reports.find(near.id, communityID: community.id).gisObjectID == suggestion.object.id)
        #expect(try await services.geoportal.reports(about: suggestion.object.id, communityID: community.id).map(\.id) == [near.id])
    }

    @Test func theKeepingDepartmentEditsObjectsWithHistory() async throws {
        let services = try await services()
        let register = try await makeRegister(services)
        _ = try await LayerImport(store: services.geoportal, register: register).run(
            Data((#"{"type":"FeatureCollection","features":["# + feature("e1", #"{"type":"Point","coordinates":[27.4,49.3]}"#, "60") + "]}").utf8),
            fileName: "x.geojson", actorID: nil) { _, _ in }
        let object = try #require(try await services.geoportal.objects(in: register, boundingBox: nil, filters: [:], limit: 1, offset: 0).objects.first)
        let path = "/khmelnytskyi/map/\(register.code)/\(object.id)"
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            try await browser.get(path)
            #expect(try await browser.post("\(path)/edit", form: ["attribute_power": "80", "geometry": object.geometry]).status == .forbidden)
            try await browser.signIn("official@khmelnytskyi.demo")
            let page = try await browser.get(path)
            #expect(page.body.contains("\(path)/edit"))
            let bad = try await browser.post("\(path)/edit", form: ["attribute_power": "багато", "geometry": object.geometry])
            #expect(bad.status == .unprocessableContent)
            let line = try await browser.post("\(path)/edit", form: ["attribute_power": "80", "geometry": #"{"type":"LineString","coordinates":[[27,49],[27.1,49]]}"#])
            #expect(line.status == .unprocessableContent)
            let saved = try await browser.post("\(path)/edit", form: ["attribute_power": "80", "latitude": "49.31", "longitude": "27.41", "geometry": ""])
            #expect(saved.location == path)
        }
        let edited = try await services.geoportal.object(object.id, in: register)
        #expect(edited.version == 2 && edited.attributes["power"] == .integer(80) && abs(edited.anchor.latitude - 49.31) < 1e-9)
        #expect(try await services.geoportal.history(of: object.id).first?.attributes["power"] == .integer(60))
        // However often it is edited, its page shows the newest versions and says so.
        let official = try await Fixtures.viewer("official@khmelnytskyi.demo", services)
        var current = edited
        for power in 81...(81 + GeoportalRoutes.newestShown) {
            try await services.geoportal.edit(current, in: register, geometry: current.geometry, attributes: ["power": String(power)], by: official, ip: nil)
            current = try await services.geoportal.object(object.id, in: register)
        }
        #expect(try await services.geoportal.history(of: object.id).count == GeoportalRoutes.newestShown + 2)
        try await TestApp.withBrowser(services) { anyone in
            let page = try await anyone.get(path).body
            #expect(page.components(separatedBy: "<li>" + services.catalogue.text("gis.version", .uk)).count - 1 == GeoportalRoutes.newestShown)
            #expect(page.contains(services.catalogue.text("gis.newest_shown", .uk, ["n": String(GeoportalRoutes.newestShown)])))
        }
    }

    @Test func administratorsCreateAndEditRegisters() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let ecology = try #require(try await services.communities.departments(of: community.id).first { $0.slug == "ecology" })
        #expect(AttributeField.parse("height:number:Висота:Height:required\nspecies:text:Вид:Species") == [
            AttributeField(name: "height", type: .number, labelUK: "Висота", labelEN: "Height", required: true),
            AttributeField(name: "species", type: .text, labelUK: "Вид", labelEN: "Species"),
        ])
        #expect(AttributeField.parse("height:colour:Висота:Height") == nil)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/admin/registers")
            var form = ["code": "trees", "name_uk": "Дерева", "name_en": "Trees", "department": String(ecology.id), "geometry_type": "point",
                        "schema": "height:number:Висота", "feedback": "green_spaces", "public": "yes"]
            #expect(try await browser.post("/khmelnytskyi/admin/registers", form: form).status == .unprocessableContent)
            form["schema"] = "height:number:Висота:Height:required"
            #expect(try await browser.post("/khmelnytskyi/admin/registers", form: form).status == .seeOther)
            try await browser.get("/khmelnytskyi/admin/registers")
            form["schema"] = "height:number:Висота:Height:required\nspecies:text:Вид:Species"
            #expect(try await browser.post("/khmelnytskyi/admin/registers/trees", form: form).status == .seeOther)
        }
        let trees = try await services.geoportal.register(code: "trees", communityID: community.id)
        #expect(trees.schema.map(\.name) == ["height", "species"] && trees.departmentID == ecology.id && trees.feedbackCategories == ["green_spaces"])
    }

    @Test func ogcAPIFeatures() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            func json(_ uri: String) async throws -> (HTTPResponse.Status, String?, [String: Any]) {
                let response = try await client.execute(uri: uri, method: .get)
                let body = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                return (response.status, response.headers[.contentType], body)
            }
            let (_, _, landing) = try await json("/ogc/khmelnytskyi/")
            #expect(Set((landing["links"] as? [[String: Any]] ?? []).compactMap { $0["rel"] as? String }) == ["self", "conformance", "data"])
            let (_, _, conformance) = try await json("/ogc/khmelnytskyi/conformance")
            #expect((conformance["conformsTo"] as? [String])?.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core") == true)
            let (_, _, collections) = try await json("/ogc/khmelnytskyi/collections")
            let ids = (collections["collections"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.contains("street-lighting") && ids.contains("land-plots") && ids.contains("reports"))
            let (status, type, page) = try await json("/ogc/khmelnytskyi/collections/street-lighting/items?bbox=26.95,49.40,26.97,49.42&limit=5")
            #expect(status == .ok && type == "application/geo+json" && page["type"] as? String == "FeatureCollection")
            let matched = try #require(page["numberMatched"] as? Int)
            #expect(page["numberReturned"] as? Int == 5 && matched > 5)
            let features = page["features"] as? [[String: Any]] ?? []
            for feature in features {
                let coordinates = ((feature["geometry"] as? [String: Any])?["coordinates"] as? [Double]) ?? []
                #expect(coordinates.count == 2 && (26.95...26.97).contains(coordinates[0]) && (49.40...49.42).contains(coordinates[1]))
            }
            let rels = (page["links"] as? [[String: Any]] ?? []).compactMap { $0["rel"] as? String }
            #expect(rels.contains("next") && !rels.contains("prev"))
            let (_, _, second) = try await json("/ogc/khmelnytskyi/collections/street-lighting/items?bbox=26.95,49.40,26.97,49.42&limit=5&offset=5")
            #expect((second["links"] as? [[String: Any]] ?? []).contains { $0["rel"] as? String == "prev" })
            let (_, _, filtered) = try await json("/ogc/khmelnytskyi/collections/street-lighting/items?power_w=150&limit=3")
            #expect((filtered["features"] as? [[String: Any]] ?? []).allSatisfy { ($0["properties"] as? [String: Any])?["power_w"] as? Int == 150 })
            let id = try #require(features.first?["id"] as? Int)
            let (one, oneType, feature) = try await json("/ogc/khmelnytskyi/collections/street-lighting/items/\(id)")
            #expect(one == .ok && oneType == "application/geo+json" && feature["id"] as? Int == id)
            for bad in ["items?limit=0", "items?limit=many", "items?bbox=1,2,3", "items?offset=-1", "items?colour=red"] {
                let (code, _, _) = try await json("/ogc/khmelnytskyi/collections/street-lighting/\(bad)")
                #expect(code == .badRequest, "\(bad)")
            }
            #expect(try await json("/ogc/khmelnytskyi/collections/nothing/items").0 == .notFound)
            #expect(try await json("/ogc/khmelnytskyi/collections/street-lighting/items/999999999").0 == .notFound)
            let (_, _, reports) = try await json("/ogc/khmelnytskyi/collections/reports/items?limit=2")
            #expect(reports["numberReturned"] as? Int == 2)
        }
    }
}
