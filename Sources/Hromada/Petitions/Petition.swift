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

public enum PetitionStatus: String, Sendable, CaseIterable, Codable {
    case moderation
    case collecting
    case rejected
    case consideration
    case answered
    /// The period ended short of the threshold; forwarded as an ordinary appeal.
    case notEnough = "not_enough"

    public var titleKey: String { "petition.status.\(rawValue)" }
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

/// Why someone may not sign, or `nil` when they may.
public enum SigningRefusal: String, Error, Sendable {
    case notSignedIn = "not_signed_in"
    case notVerified = "not_verified"
    case notCollecting = "not_collecting"
    case periodOver = "period_over"
    case alreadySigned = "already_signed"
    case rateLimited = "rate_limited"

    public var messageKey: String { "petition.refusal.\(rawValue)" }

    /// Pure check of everything but the one-signature rule, which the database enforces.
    public static func check(petition: Petition, today: CalendarDay, isVerifiedHere: Bool) -> SigningRefusal? {
        guard petition.status == .collecting, let start = petition.collectionStartsOn, let end = petition.collectionEndsOn else {
            return .notCollecting
        }
        guard today >= start, today <= end else { return .periodOver }
        guard isVerifiedHere else { return .notVerified }
        return nil
    }
}
