import Postgres

/// Tells the assignee (or the department's heads) once about each document that has passed its
/// due date. Overdue itself is computed from the date whenever a queue is read; this only keeps
/// track of who was told.
struct OverdueSweep: JobHandler {
    static let kind = "workflow.overdue_sweep"
    var kind: String { Self.kind }
    let workflow: WorkflowStore

    func run(_ job: Job, on session: PostgresSession) async throws {
        let today = try await WorkflowStore.today(on: session)
        let rows = try await session.query(
            WorkflowStore.selectDocument + """
             WHERE d.status NOT IN ('answered', 'closed') AND d.due_on < $1 AND d.overdue_notified_at IS NULL
             ORDER BY d.id LIMIT 500 FOR NO KEY UPDATE OF d SKIP LOCKED
            """, today)
        let slugs = try await CommunityStore.slugs(on: session)
        for row in rows {
            let document = try WorkflowStore.document(row)
            try await workflow.notifyDepartment(
                document, template: "document_overdue", communitySlug: slugs[document.communityID] ?? "", on: session)
            try await session.query("UPDATE documents SET overdue_notified_at = now() WHERE id = $1", document.id)
        }
    }
}
