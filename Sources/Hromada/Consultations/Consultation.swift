import Foundation
import Postgres

/// An e-consultation: a question and a draft decision put to the community for a period.
public struct Consultation: Sendable {
    public var id: Int
    public var communityID: Int
    public var title: String
    public var question: String
    public var departmentID: Int
    public var affected: String
    public var startsOn: CalendarDay
    public var endsOn: CalendarDay
    public var format: ConsultationFormat
    public var participation: Participation
    public var minimumAge: Int
    public var moderation: CommentModeration
    public var createdBy: Int
    public var closedAt: Date?
    public var reportSummary: String?
    public var reportPublishedAt: Date?

    public func phase(on day: CalendarDay) -> ConsultationPhase {
        if reportPublishedAt != nil { return .reported }
        if closedAt != nil || day > endsOn { return .closed }
        return day < startsOn ? .upcoming : .open
    }
}

public enum ConsultationPhase: String, Sendable, CaseIterable, Comparable {
    case upcoming, open, closed, reported
    public var titleKey: String { "consultation.phase.\(rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

public enum ConsultationFormat: String, Sendable, CaseIterable {
    case discussion, survey, both
    public var hasDiscussion: Bool { self != .survey }
    public var hasSurvey: Bool { self != .discussion }
    public var titleKey: String { "consultation.format.\(rawValue)" }
}

/// Who may take part: members with an account, or verified residents only.
public enum Participation: String, Sendable, CaseIterable {
    case registered, verified
    public var titleKey: String { "consultation.participation.\(rawValue)" }
}

public enum CommentModeration: String, Sendable, CaseIterable {
    /// A moderator approves each comment before it shows.
    case pre
    /// Comments show at once; a moderator may remove one with a reason.
    case post
    public var titleKey: String { "consultation.moderation.\(rawValue)" }
}

/// Why someone may not take part; `nil` when they may.
public enum ParticipationRefusal: String, Error, Sendable {
    case notSignedIn = "not_signed_in"
    case notOpen = "not_open"
    case notMember = "not_member"
    case notVerified = "not_verified"
    case tooYoung = "too_young"
    case alreadySubmitted = "already_submitted"

    public var messageKey: String { "consultation.refusal.\(rawValue)" }

    /// The person's standing: whether they belong to the community at all (a role there), and
    /// what a verification confirmed.
    public static func check(phase: ConsultationPhase, participation: Participation, minimumAge: Int, isMember: Bool,
                             identity: VerifiedIdentity?, today: CalendarDay) -> ParticipationRefusal? {
        guard phase == .open else { return .notOpen }
        guard isMember || identity != nil else { return .notMember }
        if participation == .verified && identity == nil { return .notVerified }
        // An unverified member's age is not known; a verified one's is checked.
        if let identity, identity.age(on: today) < minimumAge { return .tooYoung }
        return nil
    }

    public var appError: AppError {
        switch self {
        case .notSignedIn: AppError(.unauthorized, detailKey: messageKey)
        case .notOpen, .alreadySubmitted: AppError(.conflict, detailKey: messageKey)
        case .notMember, .notVerified, .tooYoung: AppError(.forbidden, detailKey: messageKey)
        }
    }
}

/// The age bands the survey report counts by; nothing finer about a person is kept.
public enum AgeBand {
    public static func of(_ identity: VerifiedIdentity?, on day: CalendarDay) -> String {
        guard let age = identity?.age(on: day) else { return "unknown" }
        switch age {
        case ..<14: return "under-14"
        case 14...17: return "14-17"
        case 18...29: return "18-29"
        case 30...44: return "30-44"
        case 45...59: return "45-59"
        default: return "60+"
        }
    }

    public static let all = ["under-14", "14-17", "18-29", "30-44", "45-59", "60+", "unknown"]
}

/// A part of the draft that residents can refer to.
public struct DraftSection: Sendable, Equatable {
    public var id: Int
    public var position: Int
    public var heading: String
    public var body: String

    /// Splits the officials' text into sections: each starts with a line `## Heading`; text
    /// before the first heading becomes a section called by the draft's own title.
    public static func parse(_ text: String, untitled: String) -> [(heading: String, body: String)] {
        var sections: [(heading: String, body: String)] = []
        var heading: String?
        var lines: [String] = []
        func flush() {
            let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if heading != nil || !body.isEmpty { sections.append((heading ?? untitled, body)) }
            lines = []
        }
        for line in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                flush()
                heading = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
            } else {
                lines.append(String(line))
            }
        }
        flush()
        return sections
    }

    /// The text form of sections, which ``parse(_:untitled:)`` reads back.
    public static func text(of sections: [DraftSection]) -> String {
        sections.map { "## \($0.heading)\n\($0.body)" }.joined(separator: "\n\n")
    }
}
