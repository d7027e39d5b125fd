import Foundation
import Postgres

/// What a list, the map or an export shows: filters shared by the pages, the API and Open311.
public struct ReportFilter: Sendable {
    public var categoryIDs: [Int] = []
    public var statuses: [ReportStatus] = []
    /// Created on or after, and before.
    public var from: Date?
    public var to: Date?
    /// minLongitude, minLatitude, maxLongitude, maxLatitude.
    public var boundingBox: (Double, Double, Double, Double)?
    public var ids: [Int] = []

    public init() {}
}

/// One report on the map: enough to draw it and link to it.
public struct MapPoint: Sendable {
    public var id: Int
    public var latitude: Double
    public var longitude: Double
    public var categoryID: Int
    public var status: ReportStatus
}

extension ReportStore {
    public static let pageSize = 25
    /// The most points the map endpoint returns for one view; beyond it the client is told to zoom in.
    public static let mapLimit = 1_000
    /// Fewer reports than this in view are fetched through the spatial index.
    static let sparseView = 5_000

    // MARK: - Categories

    static let selectCategory = """
        SELECT id, community_id, code, name_uk, name_en, description_uk, description_en, department_id, response_days, attributes, active
        FROM report_categories
        """

    static func category(_ row: PostgresRow) throws -> ReportCategory {
        ReportCategory(
            id: try row.decode("id"), communityID: try row.decode("community_id"), code: try row.decode("code"),
            nameUK: try row.decode("name_uk"), nameEN: try row.decode("name_en"), descriptionUK: try row.decode("description_uk"),
            descriptionEN: try row.decode("description_en"), departmentID: try row.decode("department_id"),
            responseDays: try row.decode("response_days"),
            attributes: try row.decode("attributes", as: PostgresJSON.self).decode([ServiceAttribute].self, decoder: JSONDecoder()),
            isActive: try row.decode("active"))
    }

    public func categories(of communityID: Int) async throws -> [ReportCategory] {
        try await database.query(Self.selectCategory + " WHERE community_id = $1 ORDER BY name_uk", communityID).map(Self.category)
    }

    /// Adds a category routed to a department, with its target response time in days.
    public func addCategory(code: String, nameUK: String, nameEN: String, descriptionUK: String = "", descriptionEN: String = "",
                            departmentID: Int?, responseDays: Int?, attributes: [ServiceAttribute] = [], by admin: Viewer?,
                            communityID: Int, ip: String?) async throws {
        var errors: [String: String] = [:]
        if code.range(of: "^[a-z0-9_]{2,40}$", options: .regularExpression) == nil { errors["code"] = "report.error.code" }
        if nameUK.isEmpty || nameUK.count > 200 { errors["name_uk"] = "budget.error.name" }
        if nameEN.isEmpty || nameEN.count > 200 { errors["name_en"] = "budget.error.name" }
        if responseDays.map({ !(1...365).contains($0) }) ?? true { errors["response_days"] = "report.error.response_days" }
        if departmentID == nil { errors["department"] = "budget.error.department" }
        guard errors.isEmpty, let departmentID, let responseDays else { throw AppError(.validation, fieldErrors: errors) }
        try await database.transaction { session in
            let department = try await session.query("SELECT 1 FROM departments WHERE id = $1 AND community_id = $2", departmentID, communityID)
            guard !department.isEmpty else { throw AppError(.validation, fieldErrors: ["department": "budget.error.department"]) }
            let existing = try await session.query("SELECT 1 FROM report_categories WHERE community_id = $1 AND code = $2", communityID, code)
            guard existing.isEmpty else { throw AppError(.validation, fieldErrors: ["code": "report.error.code_taken"]) }
            try await session.query(
                """
                INSERT INTO report_categories (community_id, code, name_uk, name_en, description_uk, description_en, department_id,
                                               response_days, attributes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """, communityID, code, nameUK, nameEN, descriptionUK, descriptionEN, departmentID, responseDays,
                try PostgresJSON(encoding: attributes, encoder: JSONEncoder()))
            try await session.query(
                """
                INSERT INTO routing_rules (community_id, module, category, department_id) VALUES ($1, $2, $3, $4)
                ON CONFLICT (community_id, module, category) DO UPDATE SET department_id = EXCLUDED.department_id
                """, communityID, Self.sourceType, code, departmentID)
            try await AuditLog.record(AuditEntry(actorID: admin?.person.id, communityID: communityID, action: "report.category_add",
                                                 objectType: "report_category", objectID: code, summary: nameUK, ip: ip), on: session)
        }
    }

    // MARK: - Lists and the map

    /// The WHERE clause of a filter, with its parameters after `first` and the community.
    static func condition(_ filter: ReportFilter, communityID: Int) -> (sql: String, parameters: [any PostgresEncodable]) {
        var clauses = ["r.community_id = $1"]
        var parameters: [any PostgresEncodable] = [communityID]
        func add(_ clause: (Int) -> String, _ value: any PostgresEncodable) {
            parameters.append(value)
            clauses.append(clause(parameters.count))
        }
        if !filter.categoryIDs.isEmpty { add({ "r.category_id = ANY($\($0))" }, filter.categoryIDs) }
        if !filter.statuses.isEmpty { add({ "r.status = ANY($\($0))" }, filter.statuses.map(\.rawValue)) }
        if !filter.ids.isEmpty { add({ "r.id = ANY($\($0))" }, filter.ids) }
        if let from = filter.from { add({ "r.created_at >= $\($0)" }, from) }
        if let to = filter.to { add({ "r.created_at < $\($0)" }, to) }
        if let box = filter.boundingBox {
            parameters += [box.0, box.1, box.2, box.3]
            let n = parameters.count
            clauses.append("r.location && ST_MakeEnvelope($\(n - 3), $\(n - 2), $\(n - 1), $\(n), 4326)")
        }
        return (clauses.joined(separator: " AND "), parameters)
    }

    /// A page of reports, newest first, and how many match.
    public func list(_ filter: ReportFilter, communityID: Int, page: Int, pageSize: Int = ReportStore.pageSize) async throws
        -> (reports: [Report], total: Int)
    {
        let (condition, parameters) = Self.condition(filter, communityID: communityID)
        let n = parameters.count
        let reports = try await replica.query(
            Self.select + " WHERE \(condition) ORDER BY r.created_at DESC, r.id DESC LIMIT $\(n + 1) OFFSET $\(n + 2)",
            parameters: parameters + [pageSize, max(0, page - 1) * pageSize], planning: .eachRun
        ).map(Self.report)
        let total: Int = try await replica.query("SELECT count(*)::int AS n FROM reports r WHERE \(condition)", parameters: parameters)[0]
            .decode("n")
        return (reports, total)
    }

    /// Every report the filter selects, newest first, with the columns ``report(_:)`` reads: an
    /// open-data export, read through a cursor.
    static func openDataExport(_ filter: ReportFilter, communityID: Int) -> PostgresStatement {
        let (condition, parameters) = Self.condition(filter, communityID: communityID)
        return PostgresStatement(Self.select + " WHERE \(condition) ORDER BY r.created_at DESC, r.id DESC", parameters: parameters)
    }

    /// A `version` that changes whenever an export of the community's reports over the filter's
    /// period would: a report added, removed or updated (every change sets `updated_at`), or
    /// supported, or the period itself (the default one moves with the days).
    static func openDataVersion(_ filter: ReportFilter, communityID: Int) -> PostgresStatement {
        PostgresStatement(
            """
            SELECT concat_ws('.', count(*), max(id), max(updated_at), (SELECT count(*) FROM report_supporters), $2::text, $3::text) AS version
            FROM reports WHERE community_id = $1
            """, communityID, filter.from.map { $0.formatted(.iso8601) } ?? "", filter.to.map { $0.formatted(.iso8601) } ?? "")
    }

    /// The points of a map view, newest first, at most ``mapLimit``; `truncated` when more match.
    ///
    /// A view of a few streets holds few reports: they are found through the spatial index and
    /// sorted. A view of the city holds most of them: walking the newest first and keeping those
    /// in view finds a page sooner. A bounded count through the spatial index tells which it is.
    public func mapPoints(_ filter: ReportFilter, communityID: Int) async throws -> (points: [MapPoint], truncated: Bool) {
        let (condition, parameters) = Self.condition(filter, communityID: communityID)
        let inView: Int = try await replica.query(
            "SELECT count(*)::int AS n FROM (SELECT 1 FROM reports r WHERE \(condition) LIMIT \(Self.sparseView)) sample",
            parameters: parameters, planning: .eachRun)[0].decode("n")
        // Sorting on an expression keeps the planner off the date index when the view is sparse.
        let order = inView < Self.sparseView ? "r.created_at + interval '0 seconds' DESC" : "r.created_at DESC"
        let rows = try await replica.query(
            """
            SELECT r.id, ST_Y(r.location) AS latitude, ST_X(r.location) AS longitude, r.category_id, r.status FROM reports r
            WHERE \(condition) ORDER BY \(order) LIMIT $\(parameters.count + 1)
            """, parameters: parameters + [Self.mapLimit + 1], planning: .eachRun)
        let points = try rows.prefix(Self.mapLimit).map {
            MapPoint(id: try $0.decode("id"), latitude: try $0.decode("latitude"), longitude: try $0.decode("longitude"),
                     categoryID: try $0.decode("category_id"), status: ReportStatus(rawValue: try $0.decode("status")) ?? .new)
        }
        return (points, rows.count > Self.mapLimit)
    }

    /// The report's public timeline, oldest first, with the actors' names.
    public func events(of id: Int) async throws -> [(at: Date, actor: String?, kind: String, status: ReportStatus?, text: String)] {
        try await database.query(
            """
            SELECT e.at, p.full_name, e.kind, e.to_status, e.text FROM report_events e LEFT JOIN people p ON p.id = e.actor_id
            WHERE e.report_id = $1 ORDER BY e.id
            """, id
        ).map {
            (try $0.decode("at"), try $0.decode("full_name"), try $0.decode("kind"),
             (try $0.decode("to_status", as: String?.self)).flatMap(ReportStatus.init(rawValue:)), try $0.decode("text"))
        }
    }
}
