import Foundation
import Postgres

/// An e-petition.
public struct Petition: Sendable {
    public var id: Int
    public var communityID: Int
    public var authorID: Int
    public var authorName: String
    public var title: String
    public var body: String
    public var category: String
    public var status: PetitionStatus
    public var createdAt: Date
    public var moderationDueOn: CalendarDay
    public var rejection: (reason: RejectionReason, text: String)?
    public var signatureThreshold: Int
    public var collectionStartsOn: CalendarDay?
    public var collectionEndsOn: CalendarDay?
    /// Valid signatures.
    public var signatures: Int

    /// Progress toward the threshold, 0…100.
    public var percent: Int { min(100, signatures * 100 / max(1, signatureThreshold)) }
}

/// What a petition's live count (`count.json`) tells, with what decides who may see it.
public struct PetitionCount: Sendable, Equatable {
    public var communityID: Int
    public var authorID: Int
    public var status: PetitionStatus
    public var signatures: Int
    public var signatureThreshold: Int
}

public enum PetitionStatus: String, Sendable, CaseIterable, Codable {
    case moderation
    case collecting
    case rejected
    case consideration
    case answered
    /// The period ended short of the threshold; forwarded as an ordinary appeal.
    case notEnough = "not_enough"

    public var titleKey: String { "petition.status.\(rawValue)" }

    /// The outcome is final: nothing about the petition changes any more but a moderator's
    /// invalidation of signatures, so its page may be cached for long.
    public var isSettled: Bool { [.answered, .rejected, .notEnough].contains(self) }
}

/// The grounds on which moderators reject a petition (council regulations).
public enum RejectionReason: String, Sendable, CaseIterable, Codable {
    case duplicate
    case outsideCompetence = "outside_competence"
    case personalInterest = "personal_interest"
    case unethical
    case warPropaganda = "war_propaganda"
    case hate

    public var titleKey: String { "petition.rejection.\(rawValue)" }
}

/// What moves a petition from one status to another.
public enum PetitionEvent: String, Sendable, CaseIterable {
    case publish
    case reject
    case reachThreshold = "reach_threshold"
    case endPeriod = "end_period"
    case answer
}

/// The petition lifecycle as plain values, tested without a database.
public enum PetitionLifecycle {
    public static func status(after event: PetitionEvent, from status: PetitionStatus) -> PetitionStatus? {
        switch (event, status) {
        case (.publish, .moderation): .collecting
        case (.reject, .moderation): .rejected
        case (.reachThreshold, .collecting): .consideration
        case (.endPeriod, .collecting): .notEnough
        case (.answer, .consideration), (.answer, .notEnough): .answered
        default: nil
        }
    }

    /// Field errors (catalogue keys) for a new petition; empty when acceptable.
    /// A petition's optional category is one of the topics that routing rules know.
    public static func errors(title: String, body: String, category: String = "") -> [String: String] {
        var errors: [String: String] = [:]
        if !category.isEmpty && AppealTopic(rawValue: category) == nil { errors["category"] = "appeal.error.topic" }
        if title.count < 10 || title.count > 200 { errors["title"] = "petition.error.title" }
        if body.count < 50 || body.count > 10_000 { errors["body"] = "petition.error.body" }
        return errors
    }
}

/// Everything that decides whether one person may sign one petition now, read in one query.
public struct SigningFacts: Sendable {
    public var status: PetitionStatus
    public var collectionStartsOn: CalendarDay?
    public var collectionEndsOn: CalendarDay?
    public var today: CalendarDay
    public var isVerifiedHere: Bool
    /// The person's signatures in the past hour (counted up to the limit).
    public var recentByPerson: Int
    /// Signatures from the request's IP address in the past hour (0 when the address is exempt).
    public var recentByIP: Int
    public var signatures: Int
    public var threshold: Int

    public init(status: PetitionStatus, collectionStartsOn: CalendarDay?, collectionEndsOn: CalendarDay?, today: CalendarDay,
                isVerifiedHere: Bool, recentByPerson: Int = 0, recentByIP: Int = 0, signatures: Int = 0, threshold: Int = 500) {
        self.status = status
        self.collectionStartsOn = collectionStartsOn
        self.collectionEndsOn = collectionEndsOn
        self.today = today
        self.isVerifiedHere = isVerifiedHere
        self.recentByPerson = recentByPerson
        self.recentByIP = recentByIP
        self.signatures = signatures
        self.threshold = threshold
    }
}

/// What became of one signing request.
public enum SigningOutcome: Sendable {
    /// Signed; the count and threshold as they were just before this signature.
    case signed(signaturesBefore: Int, threshold: Int)
    case refused(SigningRefusal)

    /// The outcome for the same request made twice at once: the second is not signed again.
    var repeated: SigningOutcome {
        if case .signed = self { return .refused(.alreadySigned) }
        return self
    }
}

/// Why someone may not sign.
public enum SigningRefusal: String, Error, Sendable {
    case notSignedIn = "not_signed_in"
    case notVerified = "not_verified"
    case notCollecting = "not_collecting"
    case periodOver = "period_over"
    case alreadySigned = "already_signed"
    case rateLimited = "rate_limited"

    public var messageKey: String { "petition.refusal.\(rawValue)" }

    /// Signatures one person may make in an hour, and signatures from one IP address.
    public static let perPersonPerHour = 30
    public static let perIPPerHour = 300

    /// Everything but the one-signature rule, which the database enforces; `nil` when signing is allowed.
    public static func check(_ facts: SigningFacts) -> SigningRefusal? {
        guard facts.status == .collecting, let start = facts.collectionStartsOn, let end = facts.collectionEndsOn else {
            return .notCollecting
        }
        guard facts.today >= start, facts.today <= end else { return .periodOver }
        guard facts.isVerifiedHere else { return .notVerified }
        guard facts.recentByPerson < perPersonPerHour, facts.recentByIP < perIPPerHour else { return .rateLimited }
        return nil
    }
}
