import Foundation
import Postgres

/// A news entry of a winning project's implementation.
public struct ImplementationUpdate: Sendable {
    public var id: Int
    public var at: Date
    public var authorName: String
    public var status: BudgetImplementationStatus
    public var progress: Int
    /// Kopecks.
    public var spent: Int
    public var text: String
}

/// Implementation tracking of winning projects: news with status, progress and money spent,
/// followed by the author and anyone who asks.
extension BudgetStore {
    /// Whether the viewer may post implementation news: staff of the department that reviews the
    /// project's category, and administrators.
    public func canReport(on project: BudgetProject, viewer: Viewer) async throws -> Bool {
        if viewer.can(.administer, in: project.communityID) { return true }
        let department = try await database.query("SELECT department_id FROM budget_categories WHERE id = $1", project.categoryID)
        guard let departmentID: Int = try department.first?.decode("department_id") else { return false }
        return viewer.departments(in: project.communityID).contains(departmentID)
    }

    /// Posts implementation news on a winning project and tells its followers.
    public func postUpdate(on projectID: Int, status: BudgetImplementationStatus?, progress: Int?, spent: Int?, text: String,
                           photos: [CleanedImage] = [], by viewer: Viewer, community: Community, ip: String?) async throws {
        let project = try await project(projectID, communityID: community.id)
        guard try await canReport(on: project, viewer: viewer) else { throw AppError.forbidden }
        guard project.implementation != nil else { throw AppError(.conflict, detailKey: "budget.error.not_winner") }
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [String: String] = [:]
        if status == nil { errors["status"] = "budget.error.implementation_status" }
        if progress.map({ !(0...100).contains($0) }) ?? true { errors["progress"] = "budget.error.progress" }
        if spent.map({ $0 < 0 || $0 > 1_000_000_000_000 }) ?? true { errors["spent"] = "budget.error.amount" }
        if text.isEmpty || text.count > 5000 { errors["text"] = "budget.error.news" }
        guard errors.isEmpty, let status, let progress, let spent else { throw AppError(.validation, fieldErrors: errors) }
        try await database.transaction { session in
            try await session.query(
                "UPDATE budget_projects SET implementation_status = $2, progress = $3, spent = $4, updated_at = now() WHERE id = $1",
                projectID, status.rawValue, progress, spent)
            let updateID: Int = try await session.query(
                """
                INSERT INTO budget_project_updates (project_id, author_id, implementation_status, progress, spent, text)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, projectID, viewer.person.id, status.rawValue, progress, spent, text)[0].decode("id")
            try await media.save(photos, ownerType: Self.updatePhotos, ownerID: updateID, communityID: community.id,
                                 by: .person(viewer, address: ip), on: session)
            try await recordEvent(projectID, actorID: viewer.person.id, action: "implementation_\(status.rawValue)", comment: text, on: session)
            try await outbox.broadcast(
                "budget_project_news", values: ["title": project.title, "url": "/\(community.slug)/budget/projects/\(projectID)"],
                toPeopleIn: "SELECT person_id FROM budget_followers WHERE project_id = $1 UNION SELECT author_id FROM budget_projects WHERE id = $1",
                parameter: projectID, communityID: community.id, on: session)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "budget.implementation_update",
                                                 objectType: "budget_project", objectID: String(projectID),
                                                 summary: "\(status.rawValue) \(progress)%", ip: ip), on: session)
        }
    }

    public func updates(of projectID: Int) async throws -> [ImplementationUpdate] {
        try await database.query(
            """
            SELECT u.id, u.at, p.full_name, u.implementation_status, u.progress, u.spent, u.text
            FROM budget_project_updates u JOIN people p ON p.id = u.author_id WHERE u.project_id = $1 ORDER BY u.id DESC
            """, projectID
        ).map {
            ImplementationUpdate(id: try $0.decode("id"), at: try $0.decode("at"), authorName: try $0.decode("full_name"),
                                 status: BudgetImplementationStatus(rawValue: try $0.decode("implementation_status")) ?? .planned,
                                 progress: try $0.decode("progress"), spent: try $0.decode("spent"), text: try $0.decode("text"))
        }
    }

    /// Starts or stops following a project's news.
    public func setFollowing(_ following: Bool, projectID: Int, personID: Int) async throws {
        if following {
            try await database.query(
                "INSERT INTO budget_followers (project_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", projectID, personID)
        } else {
            try await database.query("DELETE FROM budget_followers WHERE project_id = $1 AND person_id = $2", projectID, personID)
        }
    }

    /// Photos of the project, and of each implementation news entry by its id.
    public func photos(of projectID: Int, updates: [ImplementationUpdate]) async throws -> (project: [StoredImage], updates: [Int: [StoredImage]]) {
        (try await media.images(ownerType: Self.sourceType, ownerIDs: [projectID])[projectID] ?? [],
         try await media.images(ownerType: Self.updatePhotos, ownerIDs: updates.map(\.id)))
    }

    public func isFollowing(projectID: Int, personID: Int) async throws -> Bool {
        try await !database.query("SELECT 1 FROM budget_followers WHERE project_id = $1 AND person_id = $2", projectID, personID).isEmpty
    }
}
