import Foundation
import Postgres

/// The participatory budget in PostgreSQL: cycles and their categories here; projects, votes,
/// results and implementation in the extensions beside this file.
public struct BudgetStore: Sendable {
    let database: PostgresPool
    let workflow: WorkflowStore
    let outbox: Outbox
    let receipts: BallotReceipts
    let media: MediaStore
    /// Online votes that arrive together are cast by one statement in one transaction.
    let ballotBox: RequestCoalescer<VoteRequest, VoteOutcome>

    init(database: PostgresPool, workflow: WorkflowStore, outbox: Outbox, receipts: BallotReceipts, media: MediaStore) {
        self.database = database
        self.media = media
        self.workflow = workflow
        self.outbox = outbox
        self.receipts = receipts
        self.ballotBox = Self.makeBallotBox(database: database)
    }

    /// The module's name in routing rules and the documents' `source_type`.
    public static let sourceType = "budget_project"
    /// Photos of a project, and of its implementation news.
    public static let photosPerProject = 5
    static let updatePhotos = "budget_update"

    static let selectCycle = """
        SELECT id, community_id, title, submission_starts_on, review_starts_on, voting_starts_on, results_starts_on,
               implementation_starts_on, maximum_project_cost, author_minimum_age, maximum_projects_per_author,
               voter_minimum_age, votes_per_voter, vote_scope, counts_visible_while_voting, results_published_at,
               ballots_digest, ballots_count
        FROM budget_cycles
        """

    static func cycle(_ row: PostgresRow) throws -> BudgetCycle {
        BudgetCycle(
            id: try row.decode("id"), communityID: try row.decode("community_id"), title: try row.decode("title"),
            schedule: BudgetSchedule(
                submissionStartsOn: try row.decode("submission_starts_on"), reviewStartsOn: try row.decode("review_starts_on"),
                votingStartsOn: try row.decode("voting_starts_on"), resultsStartsOn: try row.decode("results_starts_on"),
                implementationStartsOn: try row.decode("implementation_starts_on")),
            rules: BudgetRules(
                maximumProjectCost: try row.decode("maximum_project_cost"), authorMinimumAge: try row.decode("author_minimum_age"),
                maximumProjectsPerAuthor: try row.decode("maximum_projects_per_author"),
                voterMinimumAge: try row.decode("voter_minimum_age"), votesPerVoter: try row.decode("votes_per_voter"),
                voteScope: VoteScope(rawValue: try row.decode("vote_scope")) ?? .category,
                countsVisibleWhileVoting: try row.decode("counts_visible_while_voting")),
            resultsPublishedAt: try row.decode("results_published_at"), ballotsDigest: try row.decode("ballots_digest"),
            ballotsCount: try row.decode("ballots_count"))
    }

    // MARK: - Cycles

    /// The community's cycles, the latest first.
    public func cycles(communityID: Int) async throws -> [BudgetCycle] {
        try await database.query(Self.selectCycle + " WHERE community_id = $1 ORDER BY submission_starts_on DESC, id DESC", communityID)
            .map(Self.cycle)
    }

    public func cycle(_ id: Int, communityID: Int, on session: PostgresSession? = nil) async throws -> BudgetCycle {
        let sql = Self.selectCycle + " WHERE id = $1 AND community_id = $2"
        let rows = if let session { try await session.query(sql, id, communityID) } else { try await database.query(sql, id, communityID) }
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.cycle(row)
    }

    /// Creates a cycle with its rules and dates; an administrator adds the categories next.
    public func createCycle(title: String, schedule: BudgetSchedule, rules: BudgetRules, by admin: Viewer, communityID: Int,
                            ip: String?) async throws -> BudgetCycle {
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = rules.errors
        if title.count < 3 || title.count > 200 { errors["title"] = "budget.error.cycle_title" }
        if !schedule.isOrdered { errors["dates"] = "budget.error.dates" }
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        return try await database.transaction { session in
            let id = try await session.query(
                """
                INSERT INTO budget_cycles (community_id, title, submission_starts_on, review_starts_on, voting_starts_on,
                    results_starts_on, implementation_starts_on, maximum_project_cost, author_minimum_age,
                    maximum_projects_per_author, voter_minimum_age, votes_per_voter, vote_scope, counts_visible_while_voting, created_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id
                """, communityID, title, schedule.submissionStartsOn, schedule.reviewStartsOn, schedule.votingStartsOn,
                schedule.resultsStartsOn, schedule.implementationStartsOn, rules.maximumProjectCost, rules.authorMinimumAge,
                rules.maximumProjectsPerAuthor, rules.voterMinimumAge, rules.votesPerVoter, rules.voteScope.rawValue,
                rules.countsVisibleWhileVoting, admin.person.id
            )[0].decode("id", as: Int.self)
            try await AuditLog.record(AuditEntry(actorID: admin.person.id, communityID: communityID, action: "budget.cycle_create",
                                                 objectType: "budget_cycle", objectID: String(id), summary: title, ip: ip), on: session)
            return try await cycle(id, communityID: communityID, on: session)
        }
    }

    /// Ends the phase in force today: the next phase starts today. Recorded in the audit log with
    /// the reason. Projects go to review, or the results are published, right away.
    public func closeCurrentPhase(of cycleID: Int, reason: String, by admin: Viewer, community: Community, ip: String?) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 1000 else { throw AppError(.validation, fieldErrors: ["reason": "budget.error.reason"]) }
        try await database.transaction { session in
            let cycle = try await lockedCycle(cycleID, communityID: community.id, on: session)
            let today = try await WorkflowStore.today(on: session)
            let phase = cycle.phase(on: today)
            guard let closed = cycle.schedule.closingCurrentPhase(on: today) else {
                throw AppError(.conflict, detailKey: "budget.error.nothing_to_close")
            }
            try await session.query(
                """
                UPDATE budget_cycles SET review_starts_on = $2, voting_starts_on = $3, results_starts_on = $4, implementation_starts_on = $5
                WHERE id = $1
                """, cycleID, closed.reviewStartsOn, closed.votingStartsOn, closed.resultsStartsOn, closed.implementationStartsOn)
            try await AuditLog.record(AuditEntry(actorID: admin.person.id, communityID: community.id, action: "budget.phase_close",
                                                 objectType: "budget_cycle", objectID: String(cycleID),
                                                 summary: "\(phase.rawValue) closed early: \(reason)", ip: ip), on: session)
        }
        try await advance(cycleID, community: community)
    }

    func lockedCycle(_ id: Int, communityID: Int, on session: PostgresSession) async throws -> BudgetCycle {
        let rows = try await session.query(Self.selectCycle + " WHERE id = $1 AND community_id = $2 FOR UPDATE", id, communityID)
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.cycle(row)
    }

    /// Does what the phase in force calls for and has not been done: registers submitted
    /// projects for review once submission has closed, and publishes the results once voting
    /// has. Safe to run any number of times, from any process.
    public func advance(_ cycleID: Int, community: Community) async throws {
        let cycle = try await cycle(cycleID, communityID: community.id)
        let phase = cycle.phase(on: KyivTime.day(of: Date()))
        if phase >= .review { try await registerForReview(cycleID: cycleID, community: community) }
        if phase >= .results && cycle.resultsPublishedAt == nil { try await publishResults(cycleID: cycleID, community: community) }
    }

    // MARK: - Categories

    public func categories(of cycleID: Int) async throws -> [BudgetCategory] {
        try await database.query(
            "SELECT id, cycle_id, name_uk, name_en, budget, department_id FROM budget_categories WHERE cycle_id = $1 ORDER BY id", cycleID
        ).map {
            BudgetCategory(id: try $0.decode("id"), cycleID: try $0.decode("cycle_id"), nameUK: try $0.decode("name_uk"),
                           nameEN: try $0.decode("name_en"), budget: try $0.decode("budget"), departmentID: try $0.decode("department_id"))
        }
    }

    /// Adds a category with its money and reviewing department, until voting starts. Its projects
    /// are routed to that department in the workflow.
    public func addCategory(to cycleID: Int, nameUK: String, nameEN: String, budget: Int?, departmentID: Int?, by admin: Viewer,
                            communityID: Int, ip: String?) async throws {
        let nameUK = nameUK.trimmingCharacters(in: .whitespacesAndNewlines)
        let nameEN = nameEN.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [String: String] = [:]
        if nameUK.isEmpty || nameUK.count > 200 { errors["name_uk"] = "budget.error.name" }
        if nameEN.isEmpty || nameEN.count > 200 { errors["name_en"] = "budget.error.name" }
        if budget.map({ $0 <= 0 || $0 > 1_000_000_000_000 }) ?? true { errors["budget"] = "budget.error.amount" }
        if departmentID == nil { errors["department"] = "budget.error.department" }
        guard errors.isEmpty, let budget, let departmentID else { throw AppError(.validation, fieldErrors: errors) }
        try await database.transaction { session in
            let cycle = try await lockedCycle(cycleID, communityID: communityID, on: session)
            guard cycle.phase(on: try await WorkflowStore.today(on: session)) < .voting else {
                throw AppError(.conflict, detailKey: "budget.error.categories_frozen")
            }
            let department = try await session.query("SELECT 1 FROM departments WHERE id = $1 AND community_id = $2", departmentID, communityID)
            guard !department.isEmpty else { throw AppError(.validation, fieldErrors: ["department": "budget.error.department"]) }
            let id = try await session.query(
                """
                INSERT INTO budget_categories (cycle_id, community_id, name_uk, name_en, budget, department_id)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, cycleID, communityID, nameUK, nameEN, budget, departmentID)[0].decode("id", as: Int.self)
            try await session.query(
                "INSERT INTO routing_rules (community_id, module, category, department_id) VALUES ($1, $2, $3, $4)",
                communityID, Self.sourceType, String(id), departmentID)
            try await AuditLog.record(AuditEntry(actorID: admin.person.id, communityID: communityID, action: "budget.category_add",
                                                 objectType: "budget_cycle", objectID: String(cycleID),
                                                 summary: "\(nameUK): \(Money.format(budget)) UAH", ip: ip), on: session)
        }
    }
}
