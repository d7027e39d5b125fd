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

    /// Signs in once as each account and checks that none of its pages shows any payload as it was typed.
    static func expectInert(_ pages: [(email: String?, path: String)], _ services: AppServices) async throws {
        for (email, paths) in Dictionary(grouping: pages, by: { $0.email ?? "" }) {
            try await TestApp.withBrowser(services) { browser in
                if !email.isEmpty { try await browser.signIn(email) }
                for path in paths.map(\.path) { try await expectInert(path, browser) }
            }
        }
    }

    static func expectInert(_ path: String, _ browser: Browser) async throws {
        let response = try await browser.get(path)
        #expect(response.status == .ok, "\(path): \(response.status)")
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
        var pages: [(email: String?, path: String)] = []
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
                ("citizen@khmelnytskyi.demo", "/khmelnytskyi/appeals/\(appeal.id)"),
                ("citizen@khmelnytskyi.demo", "/khmelnytskyi/appeals"),
                ("citizen@khmelnytskyi.demo", "/account"),
                ("official@khmelnytskyi.demo", "/khmelnytskyi/office/documents/\(document.id)"),
                ("official@khmelnytskyi.demo", "/khmelnytskyi/office?queue=done"),
                ("admin@khmelnytskyi.demo", "/khmelnytskyi/admin"),
                ("admin@khmelnytskyi.demo", "/khmelnytskyi/admin/outbox"),
                ("moderator@khmelnytskyi.demo", "/khmelnytskyi/moderation"),
                ("moderator@khmelnytskyi.demo", "/khmelnytskyi/petitions/\(petition.id)"),
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
        var pages: [(email: String?, path: String)] = [
            (nil, "/khmelnytskyi/reports"), (nil, "/khmelnytskyi/consultations/\(consultation)"),
            ("moderator@khmelnytskyi.demo", "/khmelnytskyi/moderation/reports"), (nil, "/khmelnytskyi/budget/cycles/\(cycle.id)"),
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
            pages += [(nil, "/khmelnytskyi/reports/\(report)"), (nil, "/khmelnytskyi/budget/projects/\(project)"),
                      ("citizen@khmelnytskyi.demo", "/khmelnytskyi/budget/projects/\(project)/edit")]
        }
        try await Self.expectInert(pages, services)
    }

    /// A page number past any list (one that once overflowed the offset and stopped the process)
    /// shows an empty page, on every paginated list.
    @Test func hugePageNumbersShowAnEmptyPage() async throws {
        let services = try await TestApp.services(suite: "hostile_input")
        let huge = "1238341066556338688"
        try await TestApp.withBrowser(services) { browser in
            for path in ["/khmelnytskyi/petitions?page=\(huge)", "/khmelnytskyi/petitions/1?page=\(huge)", "/khmelnytskyi/reports?page=\(huge)",
                         "/api/v1/khmelnytskyi/petitions?page=\(huge)", "/api/v1/khmelnytskyi/petitions/1/signatures?page=\(huge)",
                         "/khmelnytskyi/petitions?page=-5", "/khmelnytskyi/reports?page=abc"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
            }
        }
    }
}
