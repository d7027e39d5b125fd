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
    ]

    /// Every text a person can type and others then read is shown inert on every page that shows it.
    @Test func markupInTextIsEscapedWhereverItIsShown() async throws {
        let services = try await TestApp.services(suite: "hostile_input")
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let citizen = try #require(try await services.accounts.viewer(email: "citizen@khmelnytskyi.demo"))
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

            let pages: [(email: String, path: String)] = [
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
            for page in pages {
                try await TestApp.withBrowser(services) { browser in
                    try await browser.signIn(page.email)
                    let body = try await browser.get(page.path).body
                    #expect(!body.contains(payload), "\(page.path) shows \(payload) unescaped")
                    #expect(!body.contains("<script>alert"), "\(page.path)")
                    #expect(!body.contains("onerror=alert(1)>"), "\(page.path)")
                }
            }
        }
    }
}
