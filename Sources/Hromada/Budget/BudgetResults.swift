import Foundation
import Postgres

/// One category's published tally, with the projects' titles.
public struct CategoryResult: Sendable {
    public var category: BudgetCategory
    public var steps: [(step: BudgetTally.Step, title: String)]
}

/// What a recount from the published ballots found.
public struct Recount: Sendable {
    public var ballots: Int
    public var digest: String
    public var digestMatches: Bool
    /// Projects whose published vote count differs from the recount.
    public var mismatchedProjects: [Int]
}

/// The end of voting: the ballots are published without names, the greedy tally runs on them,
/// and its steps are stored. Everything happens in one transaction, once per cycle.
extension BudgetStore {
    static let ballotBatchSize = 5_000

    func publishResults(cycleID: Int, community: Community) async throws {
        try await database.transaction { session in
            let cycle = try await lockedCycle(cycleID, communityID: community.id, on: session)
            guard cycle.resultsPublishedAt == nil, cycle.phase(on: try await WorkflowStore.today(on: session)) >= .results else { return }
            let ballots = try await session.query(
                """
                SELECT person_id, array_agg(project_id ORDER BY project_id) AS projects FROM budget_votes
                WHERE cycle_id = $1 GROUP BY person_id
                """, cycleID
            ).map { row in
                PublishedBallot(
                    receiptHash: BallotReceipts.hash(ofCode: receipts.code(cycleID: cycleID, personID: try row.decode("person_id"))),
                    projectIDs: try row.decode("projects"))
            }
            for start in stride(from: 0, to: ballots.count, by: Self.ballotBatchSize) {
                let batch = ballots[start..<min(start + Self.ballotBatchSize, ballots.count)]
                try await session.query(
                    """
                    INSERT INTO budget_published_ballots (cycle_id, receipt_hash, project_ids)
                    SELECT $1, hash, projects::bigint[] FROM unnest($2::text[], $3::text[]) AS b(hash, projects)
                    """, cycleID, batch.map(\.receiptHash),
                    batch.map { "{" + $0.projectIDs.map(String.init).joined(separator: ",") + "}" })
            }
            let votes = BudgetTally.count(ballots.map(\.projectIDs))
            let candidates = try await session.query(
                """
                SELECT id, category_id, coalesce(corrected_cost, estimated_cost) AS cost, submitted_at FROM budget_projects
                WHERE cycle_id = $1 AND status = 'admitted'
                """, cycleID
            ).map { row in
                (category: try row.decode("category_id", as: Int.self),
                 candidate: BudgetTally.Candidate(projectID: try row.decode("id"), votes: votes[try row.decode("id", as: Int.self)] ?? 0,
                                                  cost: try row.decode("cost"), submittedAt: try row.decode("submitted_at")))
            }
            for category in try await categories(of: cycleID) {
                let steps = BudgetTally.tally(candidates.filter { $0.category == category.id }.map(\.candidate), budget: category.budget)
                guard !steps.isEmpty else { continue }
                try await session.query(
                    """
                    INSERT INTO budget_results (cycle_id, category_id, rank, project_id, votes, cost, money_left_before, outcome)
                    SELECT $1, $2, rank, project, votes, cost, money_left, outcome
                    FROM unnest($3::int[], $4::bigint[], $5::int[], $6::bigint[], $7::bigint[], $8::text[])
                         AS s(rank, project, votes, cost, money_left, outcome)
                    """, cycleID, category.id, steps.map(\.rank), steps.map(\.projectID), steps.map(\.votes), steps.map(\.cost),
                    steps.map(\.moneyLeftBefore), steps.map(\.outcome.rawValue))
            }
            let winners = try await session.query(
                """
                UPDATE budget_projects p SET implementation_status = 'planned', updated_at = now()
                FROM budget_results r WHERE r.project_id = p.id AND r.cycle_id = $1 AND r.outcome = 'won'
                RETURNING p.id, p.title, p.author_id
                """, cycleID)
            for row in winners {
                try await recordEvent(try row.decode("id"), actorID: nil, action: "won", comment: "", on: session)
            }
            try await session.query(
                "UPDATE budget_cycles SET results_published_at = now(), ballots_digest = $2, ballots_count = $3 WHERE id = $1",
                cycleID, BallotReceipts.digest(of: ballots), ballots.count)
            try await outbox.broadcast(
                "budget_results", values: ["title": cycle.title, "url": "/\(community.slug)/budget/cycles/\(cycleID)/results"],
                toPeopleIn: "SELECT DISTINCT author_id FROM budget_projects WHERE cycle_id = $1", parameter: cycleID,
                communityID: community.id, on: session)
            try await AuditLog.record(AuditEntry(actorID: nil, communityID: community.id, action: "budget.results_publish",
                                                 objectType: "budget_cycle", objectID: String(cycleID),
                                                 summary: "\(ballots.count) ballots, digest \(BallotReceipts.digest(of: ballots))"), on: session)
        }
    }

    /// The published tally of a cycle, per category in tally order.
    public func results(of cycleID: Int) async throws -> [CategoryResult] {
        let rows = try await database.query(
            """
            SELECT r.category_id, r.rank, r.project_id, r.votes, r.cost, r.money_left_before, r.outcome, p.title
            FROM budget_results r JOIN budget_projects p ON p.id = r.project_id
            WHERE r.cycle_id = $1 ORDER BY r.category_id, r.rank
            """, cycleID)
        var steps: [Int: [(step: BudgetTally.Step, title: String)]] = [:]
        for row in rows {
            let step = BudgetTally.Step(
                rank: try row.decode("rank"), projectID: try row.decode("project_id"), votes: try row.decode("votes"),
                cost: try row.decode("cost"), moneyLeftBefore: try row.decode("money_left_before"),
                outcome: BudgetTally.Outcome(rawValue: try row.decode("outcome")) ?? .noVotes)
            steps[try row.decode("category_id"), default: []].append((step, try row.decode("title")))
        }
        return try await categories(of: cycleID).map { CategoryResult(category: $0, steps: steps[$0.id] ?? []) }
    }

    /// The published ballots, in receipt-hash order, a page at a time (all of them when `limit` is nil).
    public func publishedBallots(of cycleID: Int, limit: Int? = nil, offset: Int = 0) async throws -> [PublishedBallot] {
        try await database.query(
            """
            SELECT receipt_hash, project_ids FROM budget_published_ballots WHERE cycle_id = $1
            ORDER BY receipt_hash LIMIT $2 OFFSET $3
            """, cycleID, limit, offset
        ).map(Self.publishedBallot)
    }

    static func publishedBallot(_ row: PostgresRow) throws -> PublishedBallot {
        PublishedBallot(receiptHash: try row.decode("receipt_hash"), projectIDs: try row.decode("project_ids"))
    }

    /// The cycle's published ballots by receipt hash, with the columns ``publishedBallot(_:)``
    /// reads: an open-data export, read through a cursor.
    static func publishedBallotsExport(of cycleID: Int) -> PostgresStatement {
        PostgresStatement("SELECT receipt_hash, project_ids FROM budget_published_ballots WHERE cycle_id = $1 ORDER BY receipt_hash", cycleID)
    }

    /// A `version` of the cycle's published ballots: their digest, set once when the results are published.
    static func publishedBallotsVersion(of cycleID: Int) -> PostgresStatement {
        PostgresStatement("SELECT coalesce(ballots_digest, '') AS version FROM budget_cycles WHERE id = $1", cycleID)
    }

    /// The published ballot of a receipt code, if it was counted.
    public func ballot(receiptCode: String, cycleID: Int) async throws -> PublishedBallot? {
        try await database.query(
            "SELECT receipt_hash, project_ids FROM budget_published_ballots WHERE cycle_id = $1 AND receipt_hash = $2",
            cycleID, BallotReceipts.hash(ofCode: receiptCode)
        ).first.map(Self.publishedBallot)
    }

    /// Counts the published ballots again and compares with the published digest and tally.
    public func recount(_ cycle: BudgetCycle) async throws -> Recount {
        let ballots = try await publishedBallots(of: cycle.id)
        let digest = BallotReceipts.digest(of: ballots)
        let votes = BudgetTally.count(ballots.map(\.projectIDs))
        let published = try await database.query("SELECT project_id, votes FROM budget_results WHERE cycle_id = $1", cycle.id)
        let mismatched = try published.compactMap { row -> Int? in
            let id: Int = try row.decode("project_id")
            return (votes[id] ?? 0) == (try row.decode("votes", as: Int.self)) ? nil : id
        }
        return Recount(ballots: ballots.count, digest: digest, digestMatches: digest == cycle.ballotsDigest, mismatchedProjects: mismatched)
    }
}
