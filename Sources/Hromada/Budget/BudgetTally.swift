import Foundation

/// The greedy tally of a participatory budget, as a pure function.
///
/// Per category, admitted projects are taken in order of votes, most first; each wins if its cost
/// fits the money left in the category, otherwise it is skipped and the next one is tried (the
/// rule CONSUL Democracy uses). A project without a single vote does not win. Ties are broken by
/// the lower cost, then the earlier submission, then the lower project number, so the order is
/// always the same.
public enum BudgetTally {
    public struct Candidate: Sendable, Equatable {
        public var projectID: Int
        public var votes: Int
        /// Kopecks.
        public var cost: Int
        public var submittedAt: Date

        public init(projectID: Int, votes: Int, cost: Int, submittedAt: Date) {
            self.projectID = projectID
            self.votes = votes
            self.cost = cost
            self.submittedAt = submittedAt
        }
    }

    public enum Outcome: String, Sendable, Codable {
        case won
        case doesNotFit = "does_not_fit"
        case noVotes = "no_votes"

        public var titleKey: String { "budget.outcome.\(rawValue)" }
    }

    /// One step of the tally: the project tried, the money left before it, and what happened.
    public struct Step: Sendable, Equatable {
        public var rank: Int
        public var projectID: Int
        public var votes: Int
        public var cost: Int
        public var moneyLeftBefore: Int
        public var outcome: Outcome

        public var moneyLeftAfter: Int { outcome == .won ? moneyLeftBefore - cost : moneyLeftBefore }
    }

    /// The order in which candidates are tried.
    public static func ranked(_ candidates: [Candidate]) -> [Candidate] {
        candidates.sorted {
            ($0.votes, -$0.cost, -$0.submittedAt.timeIntervalSince1970, -$0.projectID)
                > ($1.votes, -$1.cost, -$1.submittedAt.timeIntervalSince1970, -$1.projectID)
        }
    }

    /// Tallies one category with `budget` kopecks.
    public static func tally(_ candidates: [Candidate], budget: Int) -> [Step] {
        var moneyLeft = budget
        return ranked(candidates).enumerated().map { index, candidate in
            let outcome: Outcome = candidate.votes == 0 ? .noVotes : candidate.cost <= moneyLeft ? .won : .doesNotFit
            let step = Step(rank: index + 1, projectID: candidate.projectID, votes: candidate.votes, cost: candidate.cost,
                            moneyLeftBefore: moneyLeft, outcome: outcome)
            if outcome == .won { moneyLeft -= candidate.cost }
            return step
        }
    }

    /// Votes per project, counted from ballots (each a list of project ids).
    public static func count(_ ballots: some Sequence<[Int]>) -> [Int: Int] {
        var votes: [Int: Int] = [:]
        for ballot in ballots {
            for project in ballot { votes[project, default: 0] += 1 }
        }
        return votes
    }
}
