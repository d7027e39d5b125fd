import Foundation
import Postgres

/// The phases of a participatory budget cycle, in order.
public enum BudgetPhase: String, Sendable, CaseIterable, Codable, Comparable {
    /// Announced; submission has not started.
    case announced
    case submission
    case review
    case voting
    case results
    case implementation

    public var titleKey: String { "budget.phase.\(rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The dates on which each phase starts. A phase lasts until the next one starts, so the dates
/// never leave a gap, and closing a phase early means moving the next start to today.
public struct BudgetSchedule: Sendable, Equatable {
    public var submissionStartsOn: CalendarDay
    public var reviewStartsOn: CalendarDay
    public var votingStartsOn: CalendarDay
    public var resultsStartsOn: CalendarDay
    public var implementationStartsOn: CalendarDay

    public init(submissionStartsOn: CalendarDay, reviewStartsOn: CalendarDay, votingStartsOn: CalendarDay,
                resultsStartsOn: CalendarDay, implementationStartsOn: CalendarDay) {
        self.submissionStartsOn = submissionStartsOn
        self.reviewStartsOn = reviewStartsOn
        self.votingStartsOn = votingStartsOn
        self.resultsStartsOn = resultsStartsOn
        self.implementationStartsOn = implementationStartsOn
    }

    /// The start dates of the phases after `announced`, in order.
    public var starts: [(phase: BudgetPhase, on: CalendarDay)] {
        [(.submission, submissionStartsOn), (.review, reviewStartsOn), (.voting, votingStartsOn),
         (.results, resultsStartsOn), (.implementation, implementationStartsOn)]
    }

    /// The phase in force on `day`.
    public func phase(on day: CalendarDay) -> BudgetPhase {
        starts.last { $0.on <= day }?.phase ?? .announced
    }

    /// The last day of `phase` (the day before the next phase starts), if it ends.
    public func lastDay(of phase: BudgetPhase) -> CalendarDay? {
        guard let index = starts.firstIndex(where: { $0.phase == phase }), index + 1 < starts.count else { return nil }
        return starts[index + 1].on.adding(days: -1)
    }

    /// Whether the dates follow each other in order (a phase may be skipped by giving two the same date).
    public var isOrdered: Bool {
        zip(starts, starts.dropFirst()).allSatisfy { $0.on <= $1.on }
    }

    /// The schedule with the phase in force on `today` closed: the next phase starts today.
    /// `nil` when nothing can close (before submission opens, or during implementation).
    public func closingCurrentPhase(on today: CalendarDay) -> BudgetSchedule? {
        var closed = self
        switch phase(on: today) {
        case .announced, .implementation: return nil
        case .submission: closed.reviewStartsOn = today
        case .review: closed.votingStartsOn = today
        case .voting: closed.resultsStartsOn = today
        case .results: closed.implementationStartsOn = today
        }
        // Later phases that were due earlier than today move with it.
        closed.votingStartsOn = max(closed.votingStartsOn, closed.reviewStartsOn)
        closed.resultsStartsOn = max(closed.resultsStartsOn, closed.votingStartsOn)
        closed.implementationStartsOn = max(closed.implementationStartsOn, closed.resultsStartsOn)
        return closed
    }
}

/// Whether a voter has a number of votes in each category or in the cycle as a whole.
public enum VoteScope: String, Sendable, CaseIterable, Codable {
    case category
    case cycle

    public var titleKey: String { "budget.scope.\(rawValue)" }
}

/// The rules of one cycle, fixed by the administrator when the cycle is created.
public struct BudgetRules: Sendable, Equatable {
    /// Kopecks.
    public var maximumProjectCost: Int
    public var authorMinimumAge: Int
    public var maximumProjectsPerAuthor: Int
    public var voterMinimumAge: Int
    public var votesPerVoter: Int
    public var voteScope: VoteScope
    public var countsVisibleWhileVoting: Bool

    public init(maximumProjectCost: Int, authorMinimumAge: Int, maximumProjectsPerAuthor: Int, voterMinimumAge: Int,
                votesPerVoter: Int, voteScope: VoteScope, countsVisibleWhileVoting: Bool) {
        self.maximumProjectCost = maximumProjectCost
        self.authorMinimumAge = authorMinimumAge
        self.maximumProjectsPerAuthor = maximumProjectsPerAuthor
        self.voterMinimumAge = voterMinimumAge
        self.votesPerVoter = votesPerVoter
        self.voteScope = voteScope
        self.countsVisibleWhileVoting = countsVisibleWhileVoting
    }

    /// The community's defaults (Khmelnytskyi: 150,000 UAH, authors and voters 16+, two projects per author).
    public init(_ settings: CommunitySettings.Budget) {
        self.init(maximumProjectCost: settings.maximumProjectCostUAH * 100, authorMinimumAge: settings.authorMinimumAge,
                  maximumProjectsPerAuthor: settings.maximumProjectsPerAuthor, voterMinimumAge: settings.voterMinimumAge,
                  votesPerVoter: 3, voteScope: .category, countsVisibleWhileVoting: true)
    }

    /// Field errors (catalogue keys); empty when acceptable.
    public var errors: [String: String] {
        var errors: [String: String] = [:]
        if maximumProjectCost <= 0 || maximumProjectCost > 100_000_000_000 { errors["maximum_project_cost"] = "budget.error.amount" }
        if !(14...100).contains(authorMinimumAge) { errors["author_minimum_age"] = "budget.error.age" }
        if !(14...100).contains(voterMinimumAge) { errors["voter_minimum_age"] = "budget.error.age" }
        if !(1...100).contains(maximumProjectsPerAuthor) { errors["maximum_projects_per_author"] = "budget.error.count" }
        if !(1...50).contains(votesPerVoter) { errors["votes_per_voter"] = "budget.error.count" }
        return errors
    }
}

/// A participatory budget cycle.
public struct BudgetCycle: Sendable {
    public var id: Int
    public var communityID: Int
    public var title: String
    public var schedule: BudgetSchedule
    public var rules: BudgetRules
    public var resultsPublishedAt: Date?
    public var ballotsDigest: String?
    public var ballotsCount: Int?

    public func phase(on day: CalendarDay) -> BudgetPhase { schedule.phase(on: day) }

    /// Whether counts per project may be shown on `day`: always after voting; during voting as the cycle says.
    public func showsCounts(on day: CalendarDay) -> Bool {
        let phase = phase(on: day)
        return phase > .voting || (phase == .voting && rules.countsVisibleWhileVoting)
    }
}

/// A category of a cycle with its own money.
public struct BudgetCategory: Sendable, Equatable {
    public var id: Int
    public var cycleID: Int
    public var nameUK: String
    public var nameEN: String
    /// Kopecks.
    public var budget: Int
    public var departmentID: Int

    public func name(_ language: Language) -> String { language == .en ? nameEN : nameUK }
}
