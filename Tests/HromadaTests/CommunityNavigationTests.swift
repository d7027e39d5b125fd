import Hromada
import Testing

/// The header's sections: each page marks the one it belongs to, and staff sections appear only
/// to the staff who may open them.
@Suite struct CommunityNavigationTests {
    @Test func thePageMarksItsOwnSectionAndNoOther() async throws {
        let services = try await TestApp.services(suite: "navigation")
        try await TestApp.withBrowser(services) { anyone in
            let petitions = try await anyone.get("/khmelnytskyi/petitions?list=answered").body
            let navigation = try #require(petitions.range(of: #"<nav class="community-nav""#).map { petitions[$0.lowerBound...] }
                .flatMap { nav in nav.range(of: "</nav>").map { nav[..<$0.upperBound] } })
            #expect(navigation.contains(#"<a href="/khmelnytskyi/petitions" aria-current="page">Електронні петиції</a>"#))
            #expect(navigation.components(separatedBy: #"aria-current="page""#).count == 2)
            #expect(!petitions.contains(#"href="/khmelnytskyi/moderation""#))
            let home = try await anyone.get("/khmelnytskyi").body
            #expect(home.contains(#"<a href="/khmelnytskyi" aria-current="page">"#))
            #expect(!home.contains(#"<a href="/khmelnytskyi/petitions" aria-current="page">"#))
        }
        try await TestApp.withBrowser(services) { moderator in
            try await moderator.signIn("moderator@khmelnytskyi.demo")
            let queue = try await moderator.get("/khmelnytskyi/moderation/reports").body
            #expect(queue.contains(#"<a href="/khmelnytskyi/moderation" aria-current="page">"#))
            #expect(!queue.contains(#"href="/khmelnytskyi/admin""#))
        }
    }
}
