import Foundation
@testable import Hromada
import Testing

/// Objects in the demo community that tests of several modules build on.
enum Fixtures {
    static func community(_ services: AppServices) async throws -> Community {
        try await services.communities.require(slug: "khmelnytskyi")
    }

    /// The account with this e-mail, as a viewer (a demo account: `citizen@khmelnytskyi.demo`, …).
    static func viewer(_ email: String, _ services: AppServices) async throws -> Viewer {
        try #require(try await services.accounts.viewer(email: email))
    }

    /// `count` new verified residents of the demo community, as viewers.
    static func residents(_ count: Int, _ services: AppServices) async throws -> [Viewer] {
        let community = try await Self.community(services)
        let ids = try await services.database.transaction { session in
            try await DemoData.addResidents(count, prefix: UUID().uuidString.prefix(8).lowercased(), communityID: community.id,
                                            passwordHash: "x", on: session)
        }
        return ids.map { Viewer(person: Person(id: $0, email: "r\($0)@khmelnytskyi.demo", fullName: "R", language: .uk), grants: [], sessionTokenHash: []) }
    }

    /// Raises every limit of the demo community on what people create to its largest, for a test
    /// that creates many items as one demo account. The limits' own tests set theirs.
    static func raiseLimits(_ services: AppServices) async throws {
        let overrides = Dictionary(uniqueKeysWithValues: CommunityLimits.keys.map { ($0, Allowance(Allowance.largestMaximum, per: Allowance.hour)) })
        try await services.limits.save(overrides, communityID: try await community(services).id,
                                       by: try await viewer("admin@khmelnytskyi.demo", services), ip: nil)
    }

    /// A collecting petition with the given threshold, by a new verified resident: suites that
    /// need dozens of petitions stay within the per-person limit on new petitions.
    static func collectingPetition(_ services: AppServices, threshold: Int = 500, title: String? = nil) async throws -> Petition {
        let community = try await Self.community(services)
        let author = try await Self.residents(1, services)[0]
        let moderator = try await Self.viewer("moderator@khmelnytskyi.demo", services)
        let petition = try await services.petitions.submit(
            title: title ?? "Петиція для перевірки \(UUID().uuidString.prefix(8))",
            body: String(repeating: "Потрібно зробити місто кращим для всіх мешканців. ", count: 3), category: "",
            by: author, in: community, verifications: services.verifications, ip: nil)
        try await services.database.query("UPDATE petitions SET signature_threshold = $2 WHERE id = $1", petition.id, threshold)
        try await services.petitions.moderate(petition.id, publish: true, reason: nil, text: "", by: moderator, in: community, ip: nil)
        return try await services.petitions.find(petition.id, communityID: community.id)
    }
}
