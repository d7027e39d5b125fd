import Foundation
import Postgres

/// One vote as the voting statement takes it. Two requests are the same vote when the same person
/// votes for the same project, whatever the channel.
struct VoteRequest: Sendable, Hashable {
    var projectID: Int
    var personID: Int
    var communityID: Int
    var channel: VoteChannel
    /// The member of staff who records an in-person vote.
    var recordedBy: Int?

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.projectID == rhs.projectID && lhs.personID == rhs.personID && lhs.communityID == rhs.communityID
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(projectID)
        hasher.combine(personID)
        hasher.combine(communityID)
    }
}

/// What the voting statement did with one request.
struct VoteOutcome: Sendable {
    var cycleID: Int
    /// Set when the vote was cast: the votes the person has left in the limit's scope.
    var votesLeft: Int?
    /// Why the vote was not cast.
    var refusal: VotingRefusal?
}

/// Voting: one statement for a group of votes that reads every fact the rules need, inserts each
/// vote only if they allow it, and counts it against the voter's limit.
///
/// The database holds the rules that protect the count: the primary key of `budget_votes` allows
/// one vote per person and project whatever the channel; a transaction-scoped advisory lock per
/// voter, taken in order, makes groups with the same voter run one after the other, so each sees
/// the other's votes; the check on `budget_vote_allowances` refuses a vote beyond the limit should
/// anything get past that; and a trigger makes votes final.
extension BudgetStore {
    /// Refused attempts one person may make in ten minutes before being told to wait.
    static let refusalsPerPerson = RateLimiter.Rule(name: "budget-vote-refusals", limit: 30, windowSeconds: 600)

    static func makeBallotBox(database: PostgresPool) -> RequestCoalescer<VoteRequest, VoteOutcome> {
        // Two groups in flight make bigger groups than four, so fewer commits per vote: measured
        // 7,704 votes/s against 6,638 with four (make bench-vote); one group in flight drew errors.
        RequestCoalescer(
            concurrentGroups: 2,
            missing: { _ in AppError.notFound },
            repeated: { VoteOutcome(cycleID: $0.cycleID, votesLeft: nil, refusal: .alreadyVoted) }
        ) { requests in
            // The locks and the voting statement go in one round trip, as one transaction.
            try outcomes(try await database.transaction(castingStatements(requests))[1], of: requests)
        }
    }

    /// Casts one online vote for the viewer; returns the votes they have left in its scope and the
    /// cycle. Votes that arrive together share one statement and one commit.
    public func vote(for projectID: Int, by viewer: Viewer, community: Community, rateLimiter: RateLimiter) async throws
        -> (votesLeft: Int, cycleID: Int)
    {
        let outcome = try await ballotBox.answer(
            VoteRequest(projectID: projectID, personID: viewer.person.id, communityID: community.id, channel: .online))
        if let votesLeft = outcome.votesLeft { return (votesLeft, outcome.cycleID) }
        if try await !rateLimiter.allow(Self.refusalsPerPerson, key: String(viewer.person.id)) { throw VotingRefusal.rateLimited }
        throw outcome.refusal ?? .alreadyVoted
    }

    /// A member of staff does not record their own ballot at the desk (they vote online, like anyone).
    static let ownBallotRefusal = AppError(.validation, fieldErrors: ["document_number": "budget.error.own_ballot"])

    /// Records an in-person ballot: staff at the service centre found the voter by their identity
    /// document and mark their choices. All choices are recorded or none; the same statement and
    /// limits apply as online. Nobody records their own ballot.
    public func recordInPerson(_ projectIDs: [Int], voterID: Int, by staff: Viewer, community: Community, ip: String?) async throws {
        guard voterID != staff.person.id else { throw Self.ownBallotRefusal }
        guard !projectIDs.isEmpty else { throw AppError(.validation, fieldErrors: ["projects": "budget.error.no_choice"]) }
        let requests = Set(projectIDs).sorted().map {
            VoteRequest(projectID: $0, personID: voterID, communityID: community.id, channel: .inPerson, recordedBy: staff.person.id)
        }
        try await database.transaction { session in
            let outcomes = try await Self.cast(requests, on: session)
            for request in requests {
                guard let outcome = outcomes[request] else { throw AppError.notFound }
                if let refusal = outcome.refusal { throw refusal }
            }
            try await AuditLog.record(AuditEntry(actorID: staff.person.id, communityID: community.id, action: "budget.vote_in_person",
                                                 objectType: "person", objectID: String(voterID),
                                                 summary: "\(requests.count) votes recorded", ip: ip), on: session)
        }
    }

    /// Casts distinct votes in the session's transaction. A request for a project outside its
    /// community has no entry.
    static func cast(_ requests: [VoteRequest], on session: PostgresSession) async throws -> [VoteRequest: VoteOutcome] {
        try outcomes(try await session.pipeline(castingStatements(requests))[1], of: requests)
    }

    /// Each voter's lock, taken in order, then the voting statement for distinct requests.
    static func castingStatements(_ requests: [VoteRequest]) -> [PostgresStatement] {
        let lock = PostgresStatement(
            "SELECT pg_advisory_xact_lock(4, person::int) FROM (SELECT DISTINCT person FROM unnest($1::bigint[]) AS person ORDER BY person) voters",
            requests.map(\.personID))
        let vote = PostgresStatement(
            """
            WITH requests AS (
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[]) WITH ORDINALITY
                    AS r(project_id, person_id, community_id, channel, recorded_by, n)
            ), facts AS (
                SELECT r.n, r.project_id, r.person_id, r.channel, r.recorded_by, p.cycle_id, p.status, t.today,
                       t.today >= c.voting_starts_on AND t.today < c.results_starts_on AS voting_open,
                       CASE WHEN c.vote_scope = 'category' THEN p.category_id ELSE 0 END AS scope_id,
                       c.votes_per_voter, c.voter_minimum_age, v.birth_date, coalesce(v.is_resident, false) AS is_resident,
                       b.person_id IS NOT NULL AS already
                FROM requests r
                JOIN budget_projects p ON p.id = r.project_id AND p.community_id = r.community_id
                JOIN budget_cycles c ON c.id = p.cycle_id
                CROSS JOIN (SELECT (now() AT TIME ZONE '\(WorkflowStore.timeZone)')::date AS today) t
                LEFT JOIN verifications v ON v.person_id = r.person_id AND v.community_id = p.community_id AND v.revoked_at IS NULL
                LEFT JOIN budget_votes b ON b.project_id = r.project_id AND b.person_id = r.person_id
            ), eligible AS (
                SELECT f.*, coalesce(f.status = 'admitted' AND f.voting_open AND f.is_resident AND NOT f.already
                                     AND f.birth_date <= (f.today - make_interval(years => f.voter_minimum_age))::date, false) AS may_vote
                FROM facts f
            ), counted_before AS (
                -- Votes already cast in the scope, plus this group's earlier eligible votes in it.
                SELECT e.*, coalesce(a.votes_cast, 0) AS votes_before,
                       coalesce(a.votes_cast, 0)
                         + (count(*) FILTER (WHERE e.may_vote) OVER (PARTITION BY e.cycle_id, e.person_id, e.scope_id ORDER BY e.n))::int AS votes_after
                FROM eligible e
                LEFT JOIN budget_vote_allowances a ON a.cycle_id = e.cycle_id AND a.person_id = e.person_id AND a.scope_id = e.scope_id
            ), cast_votes AS (
                INSERT INTO budget_votes (project_id, person_id, cycle_id, scope_id, channel, recorded_by)
                SELECT project_id, person_id, cycle_id, scope_id, channel, recorded_by FROM counted_before
                WHERE may_vote AND votes_after <= votes_per_voter
                ORDER BY project_id, person_id
                ON CONFLICT (project_id, person_id) DO NOTHING
                RETURNING project_id, person_id, cycle_id, scope_id
            ), counted AS (
                INSERT INTO budget_vote_allowances (cycle_id, person_id, scope_id, votes_cast, vote_limit)
                SELECT cv.cycle_id, cv.person_id, cv.scope_id, count(*), (SELECT votes_per_voter FROM budget_cycles WHERE id = cv.cycle_id)
                FROM cast_votes cv GROUP BY cv.cycle_id, cv.person_id, cv.scope_id ORDER BY 1, 2, 3
                ON CONFLICT (cycle_id, person_id, scope_id)
                DO UPDATE SET votes_cast = budget_vote_allowances.votes_cast + EXCLUDED.votes_cast
                RETURNING 1
            )
            SELECT c.n, c.cycle_id, c.status, c.voting_open, c.today, c.birth_date, c.is_resident, c.voter_minimum_age, c.votes_per_voter,
                   c.already, c.may_vote, c.votes_before, c.votes_after,
                   EXISTS (SELECT 1 FROM cast_votes v WHERE v.project_id = c.project_id AND v.person_id = c.person_id) AS inserted
            FROM counted_before c
            """,
            requests.map(\.projectID), requests.map(\.personID), requests.map(\.communityID), requests.map(\.channel.rawValue),
            requests.map(\.recordedBy))
        return [lock, vote]
    }

    /// What the voting statement answered, per request.
    static func outcomes(_ rows: PostgresResult, of requests: [VoteRequest]) throws -> [VoteRequest: VoteOutcome] {
        var outcomes: [VoteRequest: VoteOutcome] = [:]
        for row in rows {
            let request = requests[try row.decode("n", as: Int.self) - 1]
            let limit: Int = try row.decode("votes_per_voter")
            var outcome = VoteOutcome(cycleID: try row.decode("cycle_id"))
            if try row.decode("inserted") {
                outcome.votesLeft = limit - (try row.decode("votes_after", as: Int.self))
            } else if try row.decode("already") {
                outcome.refusal = .alreadyVoted
            } else if try row.decode("may_vote") {
                outcome.refusal = .noVotesLeft
            } else {
                let facts = VotingFacts(
                    projectStatus: BudgetProjectStatus(rawValue: try row.decode("status")) ?? .submitted,
                    isVotingOpen: try row.decode("voting_open"), today: try row.decode("today"), birthDate: try row.decode("birth_date"),
                    isResident: try row.decode("is_resident"), voterMinimumAge: try row.decode("voter_minimum_age"),
                    votesCast: try row.decode("votes_before"), voteLimit: limit)
                outcome.refusal = VotingRefusal.check(facts) ?? .alreadyVoted
            }
            outcomes[request] = outcome
        }
        return outcomes
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
