import Foundation
import Postgres

/// Projects: submission, editing until submission closes, review through the workflow.
extension BudgetStore {
    static let selectProject = """
        SELECT p.id, p.cycle_id, p.community_id, p.category_id, p.author_id, a.full_name AS author_name, p.title, p.description,
               ST_Y(p.location) AS latitude, ST_X(p.location) AS longitude, p.estimated_cost, p.corrected_cost, p.status,
               p.review_reason, p.submitted_at, p.implementation_status, p.progress, p.spent,
               (SELECT count(*) FROM budget_votes v WHERE v.project_id = p.id)::int AS votes
        FROM budget_projects p JOIN people a ON a.id = p.author_id
        """

    static func project(_ row: PostgresRow) throws -> BudgetProject {
        let latitude: Double? = try row.decode("latitude")
        let longitude: Double? = try row.decode("longitude")
        let implementation: String? = try row.decode("implementation_status")
        return BudgetProject(
            id: try row.decode("id"), cycleID: try row.decode("cycle_id"), communityID: try row.decode("community_id"),
            categoryID: try row.decode("category_id"), authorID: try row.decode("author_id"), authorName: try row.decode("author_name"),
            title: try row.decode("title"), description: try row.decode("description"),
            location: latitude.flatMap { lat in longitude.map { GeoPoint(latitude: lat, longitude: $0) } },
            estimatedCost: try row.decode("estimated_cost"), correctedCost: try row.decode("corrected_cost"),
            status: BudgetProjectStatus(rawValue: try row.decode("status")) ?? .submitted, reviewReason: try row.decode("review_reason"),
            submittedAt: try row.decode("submitted_at"), implementation: implementation.flatMap(BudgetImplementationStatus.init(rawValue:)),
            progress: try row.decode("progress"), spent: try row.decode("spent"), votes: try row.decode("votes"))
    }

    public func project(_ id: Int, communityID: Int, on session: PostgresSession? = nil) async throws -> BudgetProject {
        let sql = Self.selectProject + " WHERE p.id = $1 AND p.community_id = $2"
        let rows = if let session { try await session.query(sql, id, communityID) } else { try await database.query(sql, id, communityID) }
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.project(row)
    }

    /// A cycle's projects, by category and then by votes or submission.
    public func projects(of cycleID: Int, status: BudgetProjectStatus? = nil) async throws -> [BudgetProject] {
        try await database.query(
            "SELECT * FROM (\(Self.selectProject) WHERE p.cycle_id = $1 AND ($2::text IS NULL OR p.status = $2)) p ORDER BY category_id, votes DESC, submitted_at, id",
            cycleID, status?.rawValue
        ).map(Self.project)
    }

    public func costLines(of projectID: Int) async throws -> [CostLine] {
        try await database.query(
            "SELECT item, quantity_hundredths, unit_price FROM budget_cost_lines WHERE project_id = $1 ORDER BY position", projectID
        ).map { CostLine(item: try $0.decode("item"), quantityHundredths: try $0.decode("quantity_hundredths"), unitPrice: try $0.decode("unit_price")) }
    }

    /// The project's history, oldest first.
    public func events(of projectID: Int) async throws -> [(at: Date, action: String, comment: String)] {
        try await database.query("SELECT at, action, comment FROM budget_project_events WHERE project_id = $1 ORDER BY id", projectID)
            .map { (try $0.decode("at"), try $0.decode("action"), try $0.decode("comment")) }
    }

    /// Whether `author` may submit to the cycle now, and if not the catalogue key saying why.
    public func submissionRefusal(cycle: BudgetCycle, author: Viewer, verifications: VerificationStore) async throws -> String? {
        let identity = try await verifications.identity(of: author.person.id, in: cycle.communityID)
        let mine = try await database.query(
            "SELECT count(*)::int AS n FROM budget_projects WHERE cycle_id = $1 AND author_id = $2", cycle.id, author.person.id
        )[0].decode("n", as: Int.self)
        let today = KyivTime.day(of: Date())
        return BudgetSubmissionRules.refusal(phase: cycle.phase(on: today), identity: identity, today: today, rules: cycle.rules,
                                             projectsByAuthor: mine)
    }

    /// Submits a project. The author's right comes first (403), then the project itself (422).
    /// The per-author limit is checked again under a lock on the author, so two submissions at
    /// once cannot both pass it.
    public func submit(_ draft: ProjectDraft, photos: [CleanedImage] = [], to cycleID: Int, by author: Viewer,
                       community: Community, verifications: VerificationStore, ip: String?) async throws -> Int {
        let cycle = try await cycle(cycleID, communityID: community.id)
        if let refusal = try await submissionRefusal(cycle: cycle, author: author, verifications: verifications) {
            throw AppError(refusal == "budget.refusal.not_submission" ? .conflict : .forbidden, detailKey: refusal)
        }
        let errors = BudgetSubmissionRules.errors(draft, rules: cycle.rules, categories: try await categories(of: cycleID))
        guard errors.isEmpty, let categoryID = draft.categoryID else { throw AppError(.validation, fieldErrors: errors) }
        return try await database.transaction { session in
            try await session.query("SELECT pg_advisory_xact_lock(3, $1::int)", author.person.id)
            let mine = try await session.query(
                "SELECT count(*)::int AS n FROM budget_projects WHERE cycle_id = $1 AND author_id = $2", cycleID, author.person.id
            )[0].decode("n", as: Int.self)
            guard mine < cycle.rules.maximumProjectsPerAuthor else {
                throw AppError(.forbidden, detailKey: "budget.refusal.too_many_projects")
            }
            let id = try await session.query(
                """
                INSERT INTO budget_projects (cycle_id, community_id, category_id, author_id, title, description, location, estimated_cost)
                VALUES ($1, $2, $3, $4, $5, $6,
                        CASE WHEN $7::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($8::float8, $7::float8), 4326) END, $9)
                RETURNING id
                """, cycleID, community.id, categoryID, author.person.id, draft.title, draft.description,
                draft.location?.latitude, draft.location?.longitude, draft.estimatedCost
            )[0].decode("id", as: Int.self)
            try await writeLines(draft.lines, projectID: id, on: session)
            try await media.save(photos, ownerType: Self.sourceType, ownerID: id, communityID: community.id, by: .person(author, address: ip), on: session)
            try await recordEvent(id, actorID: author.person.id, action: "submit", comment: "", on: session)
            try await AuditLog.record(AuditEntry(actorID: author.person.id, communityID: community.id, action: "budget.project_submit",
                                                 objectType: "budget_project", objectID: String(id), summary: draft.title, ip: ip), on: session)
            return id
        }
    }

    /// The author edits their project while submission is open; afterwards it is frozen.
    /// New photos are added to those already there, up to the limit.
    public func update(_ projectID: Int, with draft: ProjectDraft, photos: [CleanedImage] = [], by author: Viewer,
                       community: Community, ip: String?) async throws {
        try await database.transaction { session in
            let rows = try await session.query(
                "SELECT cycle_id, author_id FROM budget_projects WHERE id = $1 AND community_id = $2 FOR UPDATE", projectID, community.id)
            guard let row = rows.first else { throw AppError.notFound }
            guard try row.decode("author_id", as: Int.self) == author.person.id else { throw AppError.forbidden }
            let cycle = try await cycle(try row.decode("cycle_id"), communityID: community.id, on: session)
            guard cycle.phase(on: try await WorkflowStore.today(on: session)) == .submission else {
                throw AppError(.conflict, detailKey: "budget.error.frozen")
            }
            let errors = BudgetSubmissionRules.errors(draft, rules: cycle.rules, categories: try await categories(of: cycle.id))
            guard errors.isEmpty, let categoryID = draft.categoryID else { throw AppError(.validation, fieldErrors: errors) }
            try await session.query(
                """
                UPDATE budget_projects SET category_id = $2, title = $3, description = $4,
                    location = CASE WHEN $5::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($6::float8, $5::float8), 4326) END,
                    estimated_cost = $7, updated_at = now()
                WHERE id = $1
                """, projectID, categoryID, draft.title, draft.description, draft.location?.latitude, draft.location?.longitude,
                draft.estimatedCost)
            guard try await media.count(ownerType: Self.sourceType, ownerID: projectID, on: session) + photos.count <= Self.photosPerProject else {
                throw AppError(.validation, fieldErrors: ["photos": "media.error.too_many"])
            }
            try await session.query("DELETE FROM budget_cost_lines WHERE project_id = $1", projectID)
            try await writeLines(draft.lines, projectID: projectID, on: session)
            try await media.save(photos, ownerType: Self.sourceType, ownerID: projectID, communityID: community.id,
                                 by: .person(author, address: ip), on: session)
            try await recordEvent(projectID, actorID: author.person.id, action: "edit", comment: "", on: session)
            try await AuditLog.record(AuditEntry(actorID: author.person.id, communityID: community.id, action: "budget.project_edit",
                                                 objectType: "budget_project", objectID: String(projectID), summary: draft.title, ip: ip),
                                      on: session)
        }
    }

    private func writeLines(_ lines: [CostLine], projectID: Int, on session: PostgresSession) async throws {
        try await session.query(
            """
            INSERT INTO budget_cost_lines (project_id, position, item, quantity_hundredths, unit_price)
            SELECT $1, n, item, quantity, price FROM unnest($2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS l(item, quantity, price, n)
            """, projectID, lines.map(\.item), lines.map(\.quantityHundredths), lines.map(\.unitPrice))
    }

    /// Registers every submitted project of the cycle that has no workflow document yet, each
    /// with the department of its category. Runs when submission has closed.
    func registerForReview(cycleID: Int, community: Community) async throws {
        try await database.transaction { session in
            let pending = try await session.query(
                """
                SELECT p.id, p.title, p.category_id, p.author_id FROM budget_projects p
                WHERE p.cycle_id = $1 AND p.status = 'submitted'
                  AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.source_type = $2 AND d.source_id = p.id::text AND d.community_id = p.community_id)
                ORDER BY p.id FOR UPDATE OF p SKIP LOCKED
                """, cycleID, Self.sourceType)
            for row in pending {
                let id: Int = try row.decode("id")
                let document = try await workflow.register(
                    RegistrationRequest(kind: .budgetProject, sourceType: Self.sourceType, sourceID: String(id), title: try row.decode("title"),
                                        category: String(try row.decode("category_id", as: Int.self)), authorID: try row.decode("author_id")),
                    communityID: community.id, communitySlug: community.slug, on: session)
                try await recordEvent(id, actorID: nil, action: "review_registered", comment: document.reference, on: session)
            }
        }
    }

    func recordEvent(_ projectID: Int, actorID: Int?, action: String, comment: String, on session: PostgresSession) async throws {
        try await session.query(
            "INSERT INTO budget_project_events (project_id, actor_id, action, comment) VALUES ($1, $2, $3, $4)",
            projectID, actorID, action, comment)
    }
}
