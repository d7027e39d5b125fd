import Foundation
import Testing

@testable import Hromada

/// Open City's rules as plain values: statuses, reopening, drafts, the Open311 encodings.
@Suite struct OpenCityRulesTests {
    @Test func everyTransition() {
        let allowed: [ReportEvent: [ReportStatus: ReportStatus]] = [
            .accept: [.new: .accepted], .reject: [.new: .rejected, .accepted: .rejected], .startWork: [.accepted: .inProgress],
            .resolve: [.accepted: .resolved, .inProgress: .resolved], .fail: [.accepted: .notResolved, .inProgress: .notResolved],
            .reopen: [.resolved: .accepted],
        ]
        for event in ReportEvent.allCases {
            for status in ReportStatus.allCases {
                #expect(ReportLifecycle.status(after: event, from: status) == allowed[event]?[status], "\(event) from \(status)")
            }
        }
        #expect(ReportStatus.allCases.filter(\.isOpen) == [.new, .accepted, .inProgress])
        #expect(ReportStatus.notResolved.open311Status == "closed" && ReportStatus.inProgress.open311Status == "open")
    }

    @Test func onlyTheReporterReopensWithinThirtyDays() {
        let now = Date()
        var report = Report(id: 1, communityID: 1, categoryID: 1, authorID: 7, reporterName: "", location: GeoPoint(latitude: 49, longitude: 27),
                            address: "", description: "", attributes: [:], status: .resolved, statusNotes: "ok", mergedInto: nil, reopened: 0,
                            createdAt: now, updatedAt: now, resolvedAt: now.addingTimeInterval(-29 * 86_400), supporters: 0, gisObjectID: nil)
        #expect(ReportLifecycle.mayReopen(report, by: 7, now: now))
        #expect(!ReportLifecycle.mayReopen(report, by: 8, now: now))
        report.resolvedAt = now.addingTimeInterval(-31 * 86_400)
        #expect(!ReportLifecycle.mayReopen(report, by: 7, now: now))
        report.resolvedAt = now
        report.status = .notResolved
        #expect(!ReportLifecycle.mayReopen(report, by: 7, now: now))
    }

    @Test func draftsAndAttributes() {
        let size = ServiceAttribute(code: "size", datatype: "singlevaluelist", required: true, descriptionUK: "", descriptionEN: "",
                                    values: [.init(key: "small", nameUK: "", nameEN: "")])
        let depth = ServiceAttribute(code: "depth", datatype: "number", required: false, descriptionUK: "", descriptionEN: "", values: [])
        let roads = ReportCategory(id: 1, communityID: 1, code: "roads", nameUK: "Дороги", nameEN: "Roads", descriptionUK: "", descriptionEN: "",
                                   departmentID: 1, responseDays: 15, attributes: [size, depth], isActive: true)
        var draft = ReportDraft(categoryID: 1, location: GeoPoint(latitude: 49.4, longitude: 27), address: "", description: "Велика вибоїна",
                                attributes: ["size": "small", "depth": "12.5"])
        #expect(draft.errors(categories: [roads]).isEmpty)
        draft.attributes = ["size": "huge", "depth": "deep"]
        #expect(draft.errors(categories: [roads]).keys.sorted() == ["attribute_depth", "attribute_size"])
        draft.attributes = [:]
        #expect(draft.errors(categories: [roads]).keys.sorted() == ["attribute_size"])
        let empty = ReportDraft(categoryID: 2, location: nil, address: String(repeating: "а", count: 301), description: "мало")
        #expect(empty.errors(categories: [roads]).keys.sorted() == ["address", "category", "description", "location"])
    }

    @Test func open311BodiesInBothFormats() throws {
        #expect(Open311Document.Format.split("requests.json")! == ("requests", .json))
        #expect(Open311Document.Format.split("roads.xml")! == ("roads", .xml))
        #expect(Open311Document.Format.split("requests.txt") == nil && Open311Document.Format.split("requests") == nil)
        #expect(Open311Document.escape("a<b & \"c\" 'd'\u{1}") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;")
    }
}
