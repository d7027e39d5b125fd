import Foundation
import Postgres

/// Budget projects as a source of workflow documents: the department's answer admits the project
/// to the ballot or rejects it, with the answer's text as the public reason and, when the
/// estimate was wrong, a corrected cost.
public struct BudgetSource: DocumentSource {
    public var sourceType: String { BudgetStore.sourceType }
    public var answerOutcomes: [String] { ["admitted", "rejected"] }
    public var answerFields: [String] { ["corrected_cost"] }

    public func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws {
        guard let id = Int(document.sourceID) else { return }
        let rows = try await session.query(
            """
            SELECT p.status, c.voting_starts_on, c.maximum_project_cost, (now() AT TIME ZONE '\(WorkflowStore.timeZone)')::date AS today
            FROM budget_projects p JOIN budget_cycles c ON c.id = p.cycle_id WHERE p.id = $1 FOR UPDATE OF p
            """, id)
        guard let row = rows.first else { return }
        // The ballot is fixed when voting opens.
        guard try row.decode("today", as: CalendarDay.self) < row.decode("voting_starts_on", as: CalendarDay.self) else {
            throw AppError(.conflict, detailKey: "budget.error.review_closed")
        }
        let maximumCost: Int = try row.decode("maximum_project_cost")
        var correctedCost: Int?
        let typed = answer.fields["corrected_cost"] ?? ""
        if !typed.isEmpty {
            guard let cost = Money.hundredths(typed), cost > 0 else {
                throw AppError(.validation, fieldErrors: ["corrected_cost": "budget.error.amount"])
            }
            if answer.outcome == "admitted" && cost > maximumCost {
                throw AppError(.validation, fieldErrors: ["corrected_cost": "budget.error.too_expensive"])
            }
            correctedCost = cost
        }
        try await session.query(
            """
            UPDATE budget_projects SET status = $2, review_reason = $3, corrected_cost = coalesce($4, corrected_cost), updated_at = now()
            WHERE id = $1
            """, id, answer.outcome == "admitted" ? "admitted" : "rejected", answer.text, correctedCost)
        let comment = correctedCost.map { "\(answer.text)\n\(Money.format($0)) UAH" } ?? answer.text
        try await session.query(
            "INSERT INTO budget_project_events (project_id, actor_id, action, comment) VALUES ($1, NULL, $2, $3)",
            id, answer.outcome, comment)
    }

    public func path(of document: Document, communitySlug: String) -> String {
        "/\(communitySlug)/budget/projects/\(document.sourceID)"
    }
}

/// Every few minutes: moves each cycle along its dates (projects to review when submission has
/// closed, results published when voting has), so nothing waits for someone to open a page.
struct BudgetPhaseSweep: JobHandler {
    static let kind = "budget.sweep"
    var kind: String { Self.kind }
    let budget: BudgetStore
    let communities: CommunityStore

    func run(_ job: Job, on session: PostgresSession) async throws {
        let today = try await WorkflowStore.today(on: session)
        let due = try await session.query(
            """
            SELECT c.id, c.community_id FROM budget_cycles c
            WHERE (c.review_starts_on <= $1 AND EXISTS (
                      SELECT 1 FROM budget_projects p WHERE p.cycle_id = c.id AND p.status = 'submitted'
                        AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.source_type = $2 AND d.source_id = p.id::text)))
               OR (c.results_starts_on <= $1 AND c.results_published_at IS NULL)
            ORDER BY c.id
            """, today, BudgetStore.sourceType)
        let slugs = try await CommunityStore.slugs(on: session)
        for row in due {
            let community = try await communities.require(slug: slugs[try row.decode("community_id", as: Int.self)] ?? "")
            try await budget.advance(try row.decode("id"), community: community)
        }
    }
}
