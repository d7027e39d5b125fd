import Foundation
import Postgres

/// Voting: one statement per vote that reads every fact the rules need, inserts the vote only if
/// they allow it, and counts it against the voter's limit.
///
/// The database holds the rules that protect the count: the primary key of `budget_votes` allows
/// one vote per person and project whatever the channel, the check on `budget_vote_allowances`
/// refuses the vote one too many (concurrent votes of one person queue on that row), and a
/// trigger makes votes final.
extension BudgetStore {
    /// Refused attempts one person may make in ten minutes before being told to wait.
    static let refusalsPerPerson = RateLimiter.Rule(name: "budget-vote-refusals", limit: 30, windowSeconds: 600)

    /// Casts one online vote for the viewer and returns the votes they have left in its scope.
    public func vote(for projectID: Int, by viewer: Viewer, community: Community, rateLimiter: RateLimiter) async throws -> Int {
        do {
            return try await database.withConnection { session in
                try await Self.cast(projectID, personID: viewer.person.id, communityID: community.id, channel: .online, recordedBy: nil, on: session)
            }
        } catch let refusal as VotingRefusal {
            if try await !rateLimiter.allow(Self.refusalsPerPerson, key: String(viewer.person.id)) { throw VotingRefusal.rateLimited }
            throw refusal
        }
    }

    /// Records an in-person ballot: staff at the service centre found the voter by their identity
    /// document and mark their choices. All choices are recorded or none; the same limits hold as
    /// online, because both channels write the same rows.
    public func recordInPerson(_ projectIDs: [Int], voterID: Int, by staff: Viewer, community: Community, ip: String?) async throws {
        guard !projectIDs.isEmpty else { throw AppError(.validation, fieldErrors: ["projects": "budget.error.no_choice"]) }
        try await database.transaction { session in
            for projectID in Set(projectIDs).sorted() {
                _ = try await Self.cast(projectID, personID: voterID, communityID: community.id, channel: .inPerson,
                                       recordedBy: staff.person.id, on: session)
            }
            try await AuditLog.record(AuditEntry(actorID: staff.person.id, communityID: community.id, action: "budget.vote_in_person",
                                                 objectType: "person", objectID: String(voterID),
                                                 summary: "\(projectIDs.count) votes recorded", ip: ip), on: session)
        }
    }

    /// The voting statement. Throws the refusal when the vote was not cast.
    static func cast(_ projectID: Int, personID: Int, communityID: Int, channel: VoteChannel, recordedBy: Int?,
                     on session: PostgresSession) async throws -> Int {
        let rows: PostgresResult
        do {
            rows = try await session.query(
                """
                WITH facts AS (
                    SELECT p.id AS project_id, p.cycle_id, p.status, today,
                           today >= c.voting_starts_on AND today < c.results_starts_on AS voting_open,
                           CASE WHEN c.vote_scope = 'category' THEN p.category_id ELSE 0 END AS scope_id,
                           c.votes_per_voter, c.voter_minimum_age, v.birth_date, coalesce(v.is_resident, false) AS is_resident,
                           coalesce(a.votes_cast, 0) AS votes_cast
                    FROM budget_projects p
                    JOIN budget_cycles c ON c.id = p.cycle_id
                    CROSS JOIN (SELECT (now() AT TIME ZONE '\(WorkflowStore.timeZone)')::date AS today) t
                    LEFT JOIN verifications v ON v.person_id = $2 AND v.community_id = p.community_id AND v.revoked_at IS NULL
                    LEFT JOIN budget_vote_allowances a ON a.cycle_id = p.cycle_id AND a.person_id = $2
                         AND a.scope_id = CASE WHEN c.vote_scope = 'category' THEN p.category_id ELSE 0 END
                    WHERE p.id = $1 AND p.community_id = $3
                ), cast_vote AS (
                    INSERT INTO budget_votes (project_id, person_id, cycle_id, scope_id, channel, recorded_by)
                    SELECT project_id, $2, cycle_id, scope_id, $4, $5 FROM facts
                    WHERE status = 'admitted' AND voting_open AND is_resident
                      AND birth_date <= (today - make_interval(years => voter_minimum_age))::date
                    ON CONFLICT (project_id, person_id) DO NOTHING
                    RETURNING cycle_id, scope_id
                ), counted AS (
                    INSERT INTO budget_vote_allowances (cycle_id, person_id, scope_id, votes_cast, vote_limit)
                    SELECT cast_vote.cycle_id, $2, cast_vote.scope_id, 1, facts.votes_per_voter FROM cast_vote, facts
                    ON CONFLICT (cycle_id, person_id, scope_id)
                    DO UPDATE SET votes_cast = budget_vote_allowances.votes_cast + 1
                    RETURNING votes_cast, vote_limit
                )
                SELECT facts.*, counted.votes_cast AS counted_votes, counted.vote_limit
                FROM facts LEFT JOIN counted ON true
                """, projectID, personID, communityID, channel.rawValue, recordedBy)
        } catch let error as PostgresError where error.constraint == "budget_vote_allowances_within_limit" {
            throw VotingRefusal.noVotesLeft
        }
        guard let row = rows.first else { throw AppError.notFound }
        let limit: Int = try row.decode("votes_per_voter")
        if let counted: Int = try row.decode("counted_votes") { return limit - counted }
        let facts = VotingFacts(
            projectStatus: BudgetProjectStatus(rawValue: try row.decode("status")) ?? .submitted,
            isVotingOpen: try row.decode("voting_open"), today: try row.decode("today"), birthDate: try row.decode("birth_date"),
            isResident: try row.decode("is_resident"), voterMinimumAge: try row.decode("voter_minimum_age"),
            votesCast: try row.decode("votes_cast"), voteLimit: limit)
        let voted = try await session.query("SELECT 1 FROM budget_votes WHERE project_id = $1 AND person_id = $2", projectID, personID)
        throw voted.isEmpty ? VotingRefusal.check(facts) ?? .alreadyVoted : .alreadyVoted
    }

    /// The projects of a cycle the person has voted for, with the channel.
    public func votes(of personID: Int, in cycleID: Int) async throws -> [Int: VoteChannel] {
        Dictionary(uniqueKeysWithValues: try await database.query(
            "SELECT project_id, channel FROM budget_votes WHERE cycle_id = $1 AND person_id = $2", cycleID, personID
        ).map { (try $0.decode("project_id", as: Int.self), VoteChannel(rawValue: try $0.decode("channel")) ?? .online) })
    }

    /// The voter's receipt code for the cycle: the same every time it is asked for.
    public func receiptCode(cycleID: Int, personID: Int) -> String {
        receipts.code(cycleID: cycleID, personID: personID)
    }
}
