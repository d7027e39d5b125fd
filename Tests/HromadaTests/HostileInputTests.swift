import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

@Suite struct HostileInputTests {
    static let payloads = [
        "<script>alert('x')</script>", "\"><img src=x onerror=alert(1)>", "'><svg onload=alert(1)>", "</textarea><script>alert(2)</script>",
        "\" autofocus onfocus=alert(3) x=\"", "<iframe src=javascript:alert(4)></iframe>", "<a href=\"javascript:alert(5)\">link</a>",
        "{{#lambda}}{{{raw}}}{{/lambda}}<style>*{display:none}</style>",
    ]

    /// A page to read as `email` (or a visitor) and, where the page is the item's own, the text it
    /// must show as text: the payload escaped, so the check cannot pass on a page that leaves it out.
    typealias Visit = (email: String?, path: String, shows: String?)

    /// Signs in once as each account and checks that none of its pages shows any payload as it was typed.
    static func expectInert(_ pages: [Visit], _ services: AppServices) async throws {
        for (email, visits) in Dictionary(grouping: pages, by: { $0.email ?? "" }) {
            try await TestApp.withBrowser(services) { browser in
                if !email.isEmpty { try await browser.signIn(email) }
                for visit in visits { try await expectInert(visit.path, browser, shows: visit.shows) }
            }
        }
    }

    /// `text` as the templates escape it.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    static func expectInert(_ path: String, _ browser: Browser, shows: String? = nil) async throws {
        let response = try await browser.get(path)
        #expect(response.status == .ok, "\(path): \(response.status)")
        if let shows { #expect(response.body.contains(escaped(shows)), "\(path) does not show \(shows) as text") }
        for payload in payloads {
            #expect(!response.body.contains(payload), "\(path) shows \(payload) unescaped")
        }
        // The payloads' working parts: escaped, they show as text; raw, they would act.
        for marker in ["<script>alert", "<img src=x", "<svg onload", "\" autofocus", "<iframe", "href=\"javascript:", "<style>*"] {
            #expect(!response.body.contains(marker), "\(path) contains \(marker)")
        }
    }

    /// Every text a person can type and others then read is shown inert on every page that shows it.
    @Test func markupInTextIsEscapedWhereverItIsShown() async throws {
        let services = try await TestApp.services(suite: "hostile_input")
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let citizen = try #require(try await services.accounts.viewer(email: "citizen@khmelnytskyi.demo"))
        // The citizen writes an appeal and a petition per payload, more than a person's daily limits.
        try await Fixtures.raiseLimits(services)
        // Lists and staff pages that show every payload, read once after all are in.
        var pages: [Visit] = [
            ("citizen@khmelnytskyi.demo", "/khmelnytskyi/appeals", nil), ("citizen@khmelnytskyi.demo", "/account", nil),
            ("official@khmelnytskyi.demo", "/khmelnytskyi/office?queue=done", nil), ("admin@khmelnytskyi.demo", "/khmelnytskyi/admin", nil),
            ("admin@khmelnytskyi.demo", "/khmelnytskyi/admin/outbox", nil), ("moderator@khmelnytskyi.demo", "/khmelnytskyi/moderation", nil),
        ]
        for (index, payload) in Self.payloads.enumerated() {
            // Shown on the administrators' member list.
            _ = try await services.accounts.signUp(
                email: "hostile\(index)@example.ua", fullName: "Name \(payload)", password: "0123456789abc", language: .uk,
                citizenOf: community.id, ip: nil)
            let (appeal, document) = try await services.appeals.submit(
                topic: "other", subject: "Subject \(payload)", body: "Body of the appeal \(payload)", address: "Street \(payload)",
                by: citizen, in: community, ip: nil)
            let petition = try await services.petitions.submit(
                title: "Petition title \(payload)", body: String(repeating: "Petition body \(payload) ", count: 3), category: "",
                by: citizen, in: community, verifications: services.verifications, ip: nil)
            let moderator = try #require(try await services.accounts.viewer(email: "moderator@khmelnytskyi.demo"))
            try await services.petitions.moderate(petition.id, publish: true, reason: nil, text: "", by: moderator, in: community, ip: nil)
            let official = try #require(try await services.accounts.viewer(email: "official@khmelnytskyi.demo"))
            let admin = try #require(try await services.accounts.viewer(email: "admin@khmelnytskyi.demo"))
            let lighting: Int = try await services.database.query("SELECT id FROM departments WHERE slug = 'street-lighting'")[0].decode("id")
            if document.departmentID != lighting {
                try await services.workflow.perform(
                    ActionRequest(.transfer, comment: "Reason \(payload)", departmentID: lighting), documentID: document.id, by: admin, community: community)
            }
            try await services.workflow.perform(ActionRequest(.take), documentID: document.id, by: official, community: community)
            try await services.workflow.perform(
                ActionRequest(.answer, comment: "Answer \(payload)", outcome: "answered"), documentID: document.id, by: official, community: community)

            pages += [
                ("citizen@khmelnytskyi.demo", "/khmelnytskyi/appeals/\(appeal.id)", "Subject \(payload)"),
                ("official@khmelnytskyi.demo", "/khmelnytskyi/office/documents/\(document.id)", "Answer \(payload)"),
                ("moderator@khmelnytskyi.demo", "/khmelnytskyi/petitions/\(petition.id)", "Petition title \(payload)"),
            ]
        }
        try await Self.expectInert(pages, services)
    }

    /// The same for Open City reports, consultation comments and budget projects, on their public
    /// pages, lists and the staff pages that show them.
    @Test func markupInModuleTextsIsEscapedWhereverItIsShown() async throws {
        let services = try await TestApp.services(suite: "hostile_input")
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let citizen = try #require(try await services.accounts.viewer(email: "citizen@khmelnytskyi.demo"))
        let roads = try #require(try await services.reports.categories(of: community.id).first { $0.code == "roads" })
        let consultation: Int = try await services.database.query(
            "SELECT min(id) AS id FROM consultations WHERE community_id = $1 AND closed_at IS NULL AND ends_on >= current_date", community.id)[0].decode("id")
        let (cycle, _) = try await BudgetFixtures.cycle(services, projects: 0, votesPerVoter: 1, phase: .submission)
        let category = try await services.budget.categories(of: cycle.id)[0]
        var pages: [Visit] = [
            (nil, "/khmelnytskyi/reports", nil), (nil, "/khmelnytskyi/consultations/\(consultation)", nil),
            ("moderator@khmelnytskyi.demo", "/khmelnytskyi/moderation/reports", nil), (nil, "/khmelnytskyi/budget/cycles/\(cycle.id)", nil),
        ]
        for payload in Self.payloads {
            let report = try await services.reports.file(
                ReportDraft(categoryID: roads.id, location: GeoPoint(latitude: 49.42, longitude: 26.98), address: "Вулиця \(payload)",
                            description: "Яма на дорозі \(payload)"),
                by: .person(citizen), community: community, ip: nil)
            try await services.consultations.comment(on: consultation, sectionID: nil, parentID: nil, body: "Пропозиція \(payload)", by: citizen,
                                                     community: community, verifications: services.verifications, ip: nil)
            let project = try await services.budget.submit(
                ProjectDraft(categoryID: category.id, title: "Проєкт \(payload)", description: String(repeating: "Опис \(payload). ", count: 3),
                             location: nil, lines: [CostLine(item: "Роботи \(payload)", quantityHundredths: 100, unitPrice: 10_000_00)]),
                to: cycle.id, by: citizen, community: community, verifications: services.verifications, ip: nil)
            pages += [(nil, "/khmelnytskyi/reports/\(report)", "Яма на дорозі \(payload)"),
                      (nil, "/khmelnytskyi/budget/projects/\(project)", "Проєкт \(payload)"),
                      ("citizen@khmelnytskyi.demo", "/khmelnytskyi/budget/projects/\(project)/edit", "Роботи \(payload)")]
        }
        try await Self.expectInert(pages, services)
    }

    /// A page number past any list (one that once overflowed the offset and stopped the process)
    /// shows an empty page, on every paginated list.
    @Test func hugePageNumbersShowAnEmptyPage() async throws {
        let services = try await TestApp.services(suite: "hostile_input")
        let huge = "1238341066556338688"
        let petition: Int = try await services.database.query("SELECT min(id) AS id FROM petitions WHERE status = 'collecting'")[0].decode("id")
        // What an empty page of each list looks like.
        let empty = [
            "/khmelnytskyi/petitions?page=\(huge)": "<li class=\"card\">", "/khmelnytskyi/petitions/\(petition)?page=\(huge)": "<ol class=\"signers\"><li",
            "/khmelnytskyi/reports?page=\(huge)": "<tbody><tr>", "/api/v1/khmelnytskyi/petitions?page=\(huge)": "\"id\"",
            "/api/v1/khmelnytskyi/petitions/\(petition)/signatures?page=\(huge)": "\"name\"",
        ]
        try await TestApp.withBrowser(services) { browser in
            for (path, item) in empty {
                let page = try await browser.get(path)
                #expect(page.status == .ok && !page.body.contains(item), "\(path): \(page.status)")
            }
            // Below 1 or not a number: the first page.
            for path in ["/khmelnytskyi/petitions?page=-5", "/khmelnytskyi/reports?page=abc"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
            }
        }
    }
}
