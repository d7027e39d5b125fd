import Foundation

/// Something a person, an address or an Open311 application can do only so often in a
/// community: each kind of item they create, and the bytes of the photos they upload.
public enum LimitedAction: String, Sendable, CaseIterable {
    /// An Open City report from a signed-in resident: the reports page or a geoportal feedback.
    case report
    /// A service request posted through Open311 with an application's `api_key`.
    case open311Request = "open311_request"
    /// Bytes of photos stored (reports, budget projects and their implementation), a daily quota.
    case uploadBytes = "upload_bytes"
    case reportComment = "report_comment"
    /// "Me too" on a report and support for a consultation comment.
    case support
    case petition
    case appeal
    case consultationComment = "consultation_comment"
    case surveyAnswer = "survey_answer"

    /// The catalogue key of the action's name on the administrator's page.
    public var titleKey: String { "limits.action.\(rawValue)" }
    /// The catalogue key of the message shown when the limit is reached.
    public var refusalKey: String { "limits.refusal.\(rawValue)" }
    /// Whether the allowance counts bytes (shown in megabytes) rather than items.
    public var countsBytes: Bool { self == .uploadBytes }
}

/// Whose allowance a limit counts.
public enum LimitScope: String, Sendable, CaseIterable {
    /// One signed-in person.
    case person
    /// One client address (by ``RateLimiter/addressKey(_:)``: IPv6 per /64).
    case address
    /// One Open311 application key.
    case apiKey = "api_key"

    public var titleKey: String { "limits.scope.\(rawValue)" }
}

/// At most `maximum` units (items or bytes) per window of `windowSeconds`.
public struct Allowance: Sendable, Equatable {
    public var maximum: Int
    public var windowSeconds: Int

    public init(_ maximum: Int, per windowSeconds: Int) {
        self.maximum = maximum
        self.windowSeconds = windowSeconds
    }

    public static let hour = 3600
    public static let day = 86_400
    /// The windows an administrator can choose from.
    public static let windows = [900, hour, day, 7 * day]
    /// The largest maximum a community can set (the counters are 32-bit): about 2 GB.
    public static let largestMaximum = 2_000_000_000
    public static let megabyte = 1 << 20
}

/// One limit: what is counted, and for whom.
public struct LimitKey: Sendable, Hashable {
    public var action: LimitedAction
    public var scope: LimitScope

    public init(_ action: LimitedAction, _ scope: LimitScope) {
        self.action = action
        self.scope = scope
    }
}

/// Who spends an allowance: the signed-in person, or the Open311 application, and the address
/// the request came from (none for the demo loader and other work inside the server).
public struct Participant: Sendable, Equatable {
    public var personID: Int?
    public var applicationID: Int?
    public var address: String?

    public init(personID: Int? = nil, applicationID: Int? = nil, address: String?) {
        self.personID = personID
        self.applicationID = applicationID
        self.address = address
    }

    /// A signed-in person at an address.
    public static func person(_ viewer: Viewer, address: String?) -> Participant {
        Participant(personID: viewer.person.id, address: address)
    }
}

/// The limits in force in one community: the defaults below, with the community's overrides.
public struct CommunityLimits: Sendable, Equatable {
    /// Generous enough for real use, low enough that one account, one network or one API key
    /// cannot flood the moderators or fill the database: the README's table lists them.
    public static let defaults: [LimitKey: Allowance] = [
        LimitKey(.report, .person): Allowance(10, per: Allowance.hour),
        LimitKey(.report, .address): Allowance(30, per: Allowance.hour),
        LimitKey(.open311Request, .apiKey): Allowance(600, per: Allowance.hour),
        LimitKey(.open311Request, .address): Allowance(600, per: Allowance.hour),
        LimitKey(.uploadBytes, .person): Allowance(50 * Allowance.megabyte, per: Allowance.day),
        LimitKey(.uploadBytes, .address): Allowance(200 * Allowance.megabyte, per: Allowance.day),
        LimitKey(.reportComment, .person): Allowance(30, per: Allowance.hour),
        LimitKey(.reportComment, .address): Allowance(100, per: Allowance.hour),
        LimitKey(.support, .person): Allowance(100, per: Allowance.hour),
        LimitKey(.support, .address): Allowance(300, per: Allowance.hour),
        LimitKey(.petition, .person): Allowance(5, per: Allowance.day),
        LimitKey(.petition, .address): Allowance(20, per: Allowance.day),
        LimitKey(.appeal, .person): Allowance(10, per: Allowance.day),
        LimitKey(.appeal, .address): Allowance(30, per: Allowance.day),
        LimitKey(.consultationComment, .person): Allowance(20, per: Allowance.hour),
        LimitKey(.consultationComment, .address): Allowance(60, per: Allowance.hour),
        LimitKey(.surveyAnswer, .person): Allowance(20, per: Allowance.hour),
        LimitKey(.surveyAnswer, .address): Allowance(60, per: Allowance.hour),
    ]

    /// Every limit there is, in the order the administrator's page lists them.
    public static let keys: [LimitKey] = LimitedAction.allCases.flatMap { action in
        LimitScope.allCases.map { LimitKey(action, $0) }.filter { defaults[$0] != nil }
    }

    /// The community's own values, by limit; the others take the defaults.
    public var overrides: [LimitKey: Allowance]

    public init(overrides: [LimitKey: Allowance] = [:]) {
        self.overrides = overrides
    }

    /// The allowance in force for `key`; `nil` when the action is not limited for that scope.
    public func allowance(_ key: LimitKey) -> Allowance? {
        overrides[key] ?? Self.defaults[key]
    }

    /// Checks an allowance an administrator entered: a maximum of 1 to ``Allowance/largestMaximum``
    /// and one of the offered windows.
    public static func isValid(_ allowance: Allowance) -> Bool {
        (1...Allowance.largestMaximum).contains(allowance.maximum) && Allowance.windows.contains(allowance.windowSeconds)
    }
}
