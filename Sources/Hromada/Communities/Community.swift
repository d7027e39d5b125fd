import Postgres

/// A territorial community (hromada).
public struct Community: Sendable, Equatable {
    public var id: Int
    public var slug: String
    public var nameUK: String
    public var nameEN: String
    public var settings: CommunitySettings

    public func name(_ language: Language) -> String { language == .en ? nameEN : nameUK }

    /// Path segments that are routes of their own and so cannot be a community's slug.
    public static let reservedSlugs: Set<String> = [
        "api", "static", "signin", "signup", "signout", "account", "lang", "healthz", "readyz", "metrics",
        "open311", "ogc", "problems", "admin", "media",
    ]

    /// Whether `slug` can name a new community.
    public static func isValidSlug(_ slug: String) -> Bool {
        guard !reservedSlugs.contains(slug), (2...63).contains(slug.count), let first = slug.unicodeScalars.first
        else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-".unicodeScalars)
        return slug.unicodeScalars.allSatisfy(allowed.contains) && first != "-"
    }
}

/// An executive body: a department, a municipal enterprise, a district administration.
public struct Department: Sendable, Equatable {
    public var id: Int
    public var communityID: Int
    public var slug: String
    public var nameUK: String
    public var nameEN: String
    /// Marked by an administrator as (a branch of) the community's administrative service centre,
    /// whose officials and head use the identity-verification and in-person voting desks.
    public var isServiceCentre = false

    public func name(_ language: Language) -> String { language == .en ? nameEN : nameUK }
}

/// Thresholds, periods and limits a community's administrator can change; modules read them here.
/// Values missing from the stored JSON take the defaults (Khmelnytskyi's rules, see DESIGN.md).
/// Stored and served with snake_case keys: `settings->'petitions'->>'signature_threshold'`.
public struct CommunitySettings: Sendable, Equatable, Codable {
    public struct Petitions: Sendable, Equatable, Codable {
        public var signatureThreshold = 500
        public var collectionDays = 90
        public var moderationWorkingDays = 2
        public var answerWorkingDays = 10
    }

    public struct Budget: Sendable, Equatable, Codable {
        public var maximumProjectCostUAH = 150_000
        public var authorMinimumAge = 16
        public var maximumProjectsPerAuthor = 2
        public var voterMinimumAge = 16
    }

    public struct Consultations: Sendable, Equatable, Codable {
        public var participantMinimumAge = 14
    }

    public var petitions = Petitions()
    public var budget = Budget()
    public var consultations = Consultations()

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        petitions = try container.decodeIfPresent(Petitions.self, forKey: .petitions) ?? Petitions()
        budget = try container.decodeIfPresent(Budget.self, forKey: .budget) ?? Budget()
        consultations = try container.decodeIfPresent(Consultations.self, forKey: .consultations) ?? Consultations()
    }
}

extension CommunitySettings.Petitions {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Self()
        signatureThreshold = try c.decodeIfPresent(Int.self, forKey: .signatureThreshold) ?? defaults.signatureThreshold
        collectionDays = try c.decodeIfPresent(Int.self, forKey: .collectionDays) ?? defaults.collectionDays
        moderationWorkingDays = try c.decodeIfPresent(Int.self, forKey: .moderationWorkingDays) ?? defaults.moderationWorkingDays
        answerWorkingDays = try c.decodeIfPresent(Int.self, forKey: .answerWorkingDays) ?? defaults.answerWorkingDays
    }
}

extension CommunitySettings.Budget {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Self()
        maximumProjectCostUAH = try c.decodeIfPresent(Int.self, forKey: .maximumProjectCostUAH) ?? defaults.maximumProjectCostUAH
        authorMinimumAge = try c.decodeIfPresent(Int.self, forKey: .authorMinimumAge) ?? defaults.authorMinimumAge
        maximumProjectsPerAuthor = try c.decodeIfPresent(Int.self, forKey: .maximumProjectsPerAuthor) ?? defaults.maximumProjectsPerAuthor
        voterMinimumAge = try c.decodeIfPresent(Int.self, forKey: .voterMinimumAge) ?? defaults.voterMinimumAge
    }
}

extension CommunitySettings.Consultations {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        participantMinimumAge = try c.decodeIfPresent(Int.self, forKey: .participantMinimumAge) ?? Self().participantMinimumAge
    }
}
