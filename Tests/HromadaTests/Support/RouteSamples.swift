import Foundation
import Hromada
import Postgres

/// Real demo objects to put in a route's parameters, so a test can call every route of the router.
struct RouteSamples {
    let appeal: Int
    let appealDocument: Int
    let publicDocument: Int
    let petition: Int
    /// The demo cycle whose voting is open, and its first project.
    let cycle: Int
    let project: Int
    /// The demo consultation that is open, and one of its comments.
    let consultation: Int
    let comment: Int

    init(_ services: AppServices, community: Community) async throws {
        func first(_ sql: String, _ parameter: any PostgresEncodable) async throws -> Int {
            try await services.database.query(sql, parameter)[0].decode("id")
        }
        appeal = try await first("SELECT min(id) AS id FROM appeals WHERE community_id = $1", community.id)
        appealDocument = try await first("SELECT id FROM documents WHERE source_type = 'appeal' AND source_id = $1", String(appeal))
        publicDocument = try await first("SELECT min(id) AS id FROM documents WHERE is_public AND community_id = $1", community.id)
        petition = try await first("SELECT min(id) AS id FROM petitions WHERE status = 'collecting' AND community_id = $1", community.id)
        cycle = try await first("SELECT max(id) AS id FROM budget_cycles WHERE community_id = $1", community.id)
        project = try await first("SELECT min(id) AS id FROM budget_projects WHERE cycle_id = $1", cycle)
        consultation = try await first(
            "SELECT min(id) AS id FROM consultations WHERE community_id = $1 AND closed_at IS NULL AND ends_on >= current_date", community.id)
        comment = try await first("SELECT min(id) AS id FROM consultation_comments WHERE consultation_id = $1", consultation)
    }

    /// The route's path with every parameter filled in for the demo community.
    func uri(_ path: String) -> String {
        let id = path.contains("/consultations/") ? consultation
            : path.contains("/office/documents/") ? appealDocument
            : path.contains("/documents/") ? publicDocument
            : path.contains("/appeals/") ? appeal : petition
        return path.replacingOccurrences(of: "{community}", with: "khmelnytskyi")
            .replacingOccurrences(of: "{id}", with: String(id)).replacingOccurrences(of: "{grant}", with: "999999")
            .replacingOccurrences(of: "{department}", with: "999999")
            .replacingOccurrences(of: "{day}", with: "2099-01-01").replacingOccurrences(of: "{code}", with: "en")
            .replacingOccurrences(of: "{cycle}", with: String(cycle)).replacingOccurrences(of: "{project}", with: String(project))
            .replacingOccurrences(of: "{comment}", with: String(comment))
            .replacingOccurrences(of: "{register}", with: "street-lighting").replacingOccurrences(of: "{object}", with: "1")
            .replacingOccurrences(of: "{collection}", with: "street-lighting").replacingOccurrences(of: "{feature}", with: "1")
    }
}
