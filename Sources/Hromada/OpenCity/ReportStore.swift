import Foundation
import Postgres

/// Open City reports in PostgreSQL: filing, "me too", comments, moderation, reopening. Browsing,
/// the map and categories are in the extensions beside this file.
public struct ReportStore: Sendable {
    let database: PostgresPool
    /// The public list and map read from here (see ``AppServices/replica``).
    let replica: PostgresPool
    let workflow: WorkflowStore
    let outbox: Outbox
    let media: MediaStore
    let limits: LimitStore

    /// The module's name in routing rules and the documents' `source_type`.
    public static let sourceType = "problem_report"
    public static let photosPerReport = 5

    static let select = """
        SELECT r.id, r.community_id, r.category_id, r.author_id, coalesce(a.full_name, r.reporter_name, '') AS reporter_name,
               ST_Y(r.location) AS latitude, ST_X(r.location) AS longitude, r.address, r.description, r.attributes, r.status,
               r.status_notes, r.merged_into, r.reopened, r.created_at, r.updated_at, r.resolved_at, r.gis_object_id,
               (SELECT count(*) FROM report_supporters s WHERE s.report_id = r.id)::int AS supporters
        FROM reports r LEFT JOIN people a ON a.id = r.author_id
        """

    static func report(_ row: PostgresRow) throws -> Report {
        Report(
            id: try row.decode("id"), communityID: try row.decode("community_id"), categoryID: try row.decode("category_id"),
            authorID: try row.decode("author_id"), reporterName: try row.decode("reporter_name"),
            location: GeoPoint(latitude: try row.decode("latitude"), longitude: try row.decode("longitude")),
            address: try row.decode("address"), description: try row.decode("description"),
            attributes: try row.decode("attributes", as: PostgresJSON.self).decode([String: String].self, decoder: JSONDecoder()),
            status: ReportStatus(rawValue: try row.decode("status")) ?? .new, statusNotes: try row.decode("status_notes"),
            mergedInto: try row.decode("merged_into"), reopened: try row.decode("reopened"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), resolvedAt: try row.decode("resolved_at"), supporters: try row.decode("supporters"),
            gisObjectID: try row.decode("gis_object_id"))
    }

    public func find(_ id: Int, communityID: Int) async throws -> Report {
        guard let row = try await database.query(Self.select + " WHERE r.id = $1 AND r.community_id = $2", id, communityID).first else {
            throw AppError.notFound
        }
        return try Self.report(row)
    }

    static func find(_ id: Int, communityID: Int, on session: PostgresSession) async throws -> Report {
        guard let row = try await session.query(select + " WHERE r.id = $1 AND r.community_id = $2", id, communityID).first else {
            throw AppError.notFound
        }
        return try report(row)
    }

    // MARK: - Filing

    /// Open reports of the same category within 50 m, nearest first: offered before a new report
    /// is filed, so people support one instead of filing a duplicate.
    public func nearby(categoryID: Int, location: GeoPoint, communityID: Int) async throws -> [Report] {
        try await database.query(
            Self.select + """
             WHERE r.community_id = $1 AND r.category_id = $2 AND r.status IN ('new', 'accepted', 'in_progress')
               AND ST_DWithin(r.location::geography, ST_SetSRID(ST_MakePoint($4, $3), 4326)::geography, $5)
             ORDER BY r.location::geography <-> ST_SetSRID(ST_MakePoint($4, $3), 4326)::geography LIMIT 10
            """, communityID, categoryID, location.latitude, location.longitude, ReportLifecycle.duplicateRadiusMetres
        ).map(Self.report)
    }

    /// Who files a report: a signed-in resident, or an Open311 application on someone's behalf.
    public enum Reporter: Sendable {
        case person(Viewer)
        case application(id: Int, name: String?, email: String?)
    }

    /// Files a report after checking it; the photos are already cleaned. It counts against the
    /// community's limits: a resident's report as a ``LimitedAction/report``, an application's as
    /// an ``LimitedAction/open311Request``, and the photos' bytes. `then` runs in the same
    /// transaction with the new id (the geoportal links and registers its feedback there), so the
    /// report and what follows from it are stored together or not at all. Returns the new id.
    public func file(_ draft: ReportDraft, photos: [CleanedImage] = [], by reporter: Reporter, community: Community, ip: String?,
                     then: (@Sendable (Int, PostgresSession) async throws -> Void)? = nil) async throws -> Int {
        let errors = draft.errors(categories: try await categories(of: community.id))
        guard errors.isEmpty, let categoryID = draft.categoryID, let location = draft.location else {
            throw AppError(.validation, fieldErrors: errors)
        }
        var authorID: Int?, applicationID: Int?, name: String?, email: String?
        switch reporter {
        case .person(let viewer): authorID = viewer.person.id
        case .application(let id, let reporterName, let reporterEmail): (applicationID, name, email) = (id, reporterName, reporterEmail)
        }
        let participant = Participant(personID: authorID, applicationID: applicationID, address: ip)
        return try await database.transaction { session in
            try await limits.charge(applicationID == nil ? .report : .open311Request, to: participant, communityID: community.id, on: session)
            let id: Int = try await session.query(
                """
                INSERT INTO reports (community_id, category_id, author_id, application_id, reporter_name, reporter_email, location, address,
                                     description, attributes)
                VALUES ($1, $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($8, $7), 4326), $9, $10, $11) RETURNING id
                """, community.id, categoryID, authorID, applicationID, name, email, location.latitude, location.longitude,
                draft.address.trimmingCharacters(in: .whitespacesAndNewlines), draft.description,
                try PostgresJSON(encoding: draft.attributes, encoder: JSONEncoder())
            )[0].decode("id")
            try await media.save(photos, ownerType: Self.sourceType, ownerID: id, communityID: community.id, by: participant, on: session)
            try await Self.recordEvent(id, actorID: authorID, kind: "status", from: nil, to: .new, text: "", on: session)
            try await AuditLog.record(AuditEntry(actorID: authorID, communityID: community.id, action: "report.file", objectType: "report",
                                                 objectID: String(id), summary: applicationID.map { "open311 application \($0)" } ?? "", ip: ip),
                                      on: session)
            try await then?(id, session)
            return id
        }
    }

    /// "Me too" from a signed-in resident; the reporter's own report is not supported twice.
    public func support(_ id: Int, by viewer: Viewer, communityID: Int, ip: String?) async throws {
        let report = try await find(id, communityID: communityID)
        guard report.status.isOpen else { throw AppError(.conflict, detailKey: "report.error.closed") }
        guard report.authorID != viewer.person.id else { throw AppError(.conflict, detailKey: "report.error.own_report") }
        try await database.transaction { session in
            try await limits.charge(.support, to: .person(viewer, address: ip), communityID: communityID, on: session)
            try await session.query(
                "INSERT INTO report_supporters (report_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, viewer.person.id)
        }
    }

    public func isSupporting(_ id: Int, personID: Int) async throws -> Bool {
        try await !database.query("SELECT 1 FROM report_supporters WHERE report_id = $1 AND person_id = $2", id, personID).isEmpty
    }

    /// A public comment on the report's timeline.
    public func comment(on id: Int, text: String, by viewer: Viewer, communityID: Int, ip: String?) async throws {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(text.count) else { throw AppError(.validation, fieldErrors: ["text": "report.error.comment"]) }
        _ = try await find(id, communityID: communityID)
        try await database.transaction { session in
            try await limits.charge(.reportComment, to: .person(viewer, address: ip), communityID: communityID, on: session)
            try await Self.recordEvent(id, actorID: viewer.person.id, kind: "comment", from: nil, to: nil, text: text, on: session)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: communityID, action: "report.comment",
                                                 objectType: "report", objectID: String(id), ip: ip), on: session)
        }
    }

    // MARK: - Moderation

    /// Nobody moderates their own report: another moderator decides it, as for petitions.
    static func requireOthers(_ report: Report, _ moderator: Viewer) throws {
        guard report.authorID != moderator.person.id else { throw AppError(.forbidden, detailKey: "report.error.own_report_moderation") }
    }

    /// Reports awaiting moderation, oldest first.
    /// One page of the reports waiting for moderation, the longest-waiting first, and how many wait in all.
    public func moderationQueue(communityID: Int, page: Int, perPage: Int) async throws -> (reports: [Report], total: Int) {
        async let reports = database.query(
            Self.select + " WHERE r.community_id = $1 AND r.status = 'new' ORDER BY r.created_at, r.id LIMIT $2 OFFSET $3",
            communityID, perPage, (page - 1) * perPage)
        async let total = database.query(
            "SELECT count(*)::int AS n FROM reports WHERE community_id = $1 AND status = 'new'", communityID)
        return (try await reports.map(Self.report), try await total[0].decode("n", as: Int.self))
    }

    /// How many reports wait longer than this new one (its place in ``moderationQueue(communityID:page:perPage:)``), or nil when it is not waiting.
    public func moderationQueuePosition(of id: Int, communityID: Int) async throws -> Int? {
        try await database.query(
            """
            SELECT (SELECT count(*) FROM reports q WHERE q.community_id = r.community_id AND q.status = 'new'
                    AND (q.created_at, q.id) < (r.created_at, r.id))::int AS ahead
            FROM reports r WHERE r.id = $1 AND r.community_id = $2 AND r.status = 'new'
            """, id, communityID
        ).first?.decode("ahead", as: Int.self)
    }

    /// Accepts a new report: it is registered in the workflow with its category's department and
    /// target time, and the reporter is told.
    public func accept(_ id: Int, by moderator: Viewer, community: Community, ip: String?) async throws {
        try await database.transaction { session in
            let report = try await Self.lock(id, communityID: community.id, on: session)
            try Self.requireOthers(report, moderator)
            try await Self.move(report, .accept, actorID: moderator.person.id, text: "", communitySlug: community.slug, outbox: outbox, on: session)
            try await register(report, community: community, on: session)
            try await AuditLog.record(AuditEntry(actorID: moderator.person.id, communityID: community.id, action: "report.accept",
                                                 objectType: "report", objectID: String(id), ip: ip), on: session)
        }
    }

    /// Rejects a report with a reason shown to everyone.
    public func reject(_ id: Int, reason: String, by moderator: Viewer, community: Community, ip: String?) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(reason.count) else { throw AppError(.validation, fieldErrors: ["reason": "report.error.reason"]) }
        try await database.transaction { session in
            let report = try await Self.lock(id, communityID: community.id, on: session)
            try Self.requireOthers(report, moderator)
            guard report.status == .new else { throw AppError(.conflict, detailKey: "report.error.not_now") }
            try await Self.move(report, .reject, actorID: moderator.person.id, text: reason, communitySlug: community.slug, outbox: outbox, on: session)
            try await AuditLog.record(AuditEntry(actorID: moderator.person.id, communityID: community.id, action: "report.reject",
                                                 objectType: "report", objectID: String(id), summary: reason, ip: ip), on: session)
        }
    }

    /// Merges a new report into another open one: it is closed as a duplicate, and its reporter
    /// and supporters support the other report.
    public func merge(_ id: Int, into targetID: Int, by moderator: Viewer, community: Community, ip: String?) async throws {
        guard id != targetID else { throw AppError(.validation, fieldErrors: ["target": "report.error.merge_target"]) }
        try await database.transaction { session in
            let report = try await Self.lock(id, communityID: community.id, on: session)
            try Self.requireOthers(report, moderator)
            guard report.status == .new else { throw AppError(.conflict, detailKey: "report.error.not_now") }
            guard let target = try? await Self.find(targetID, communityID: community.id, on: session), target.status.isOpen else {
                throw AppError(.validation, fieldErrors: ["target": "report.error.merge_target"])
            }
            try await session.query("UPDATE reports SET merged_into = $2 WHERE id = $1", id, targetID)
            try await Self.move(report, .reject, actorID: moderator.person.id, text: "#\(targetID)", communitySlug: community.slug, outbox: outbox,
                                on: session)
            try await session.query(
                """
                INSERT INTO report_supporters (report_id, person_id)
                SELECT $2, person FROM (SELECT person_id AS person FROM report_supporters WHERE report_id = $1
                                        UNION SELECT author_id FROM reports WHERE id = $1 AND author_id IS NOT NULL) moved
                WHERE person IS DISTINCT FROM $3
                ON CONFLICT DO NOTHING
                """, id, targetID, target.authorID)
            try await Self.recordEvent(targetID, actorID: moderator.person.id, kind: "merge", from: nil, to: nil, text: "#\(id)", on: session)
            try await AuditLog.record(AuditEntry(actorID: moderator.person.id, communityID: community.id, action: "report.merge",
                                                 objectType: "report", objectID: String(id), summary: "into \(targetID)", ip: ip), on: session)
        }
    }

    /// The reporter says a resolved report is not fixed, within 30 days: it goes back to the
    /// department as a new document.
    public func reopen(_ id: Int, reason: String, by viewer: Viewer, community: Community, ip: String?) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(reason.count) else { throw AppError(.validation, fieldErrors: ["reason": "report.error.reason"]) }
        try await database.transaction { session in
            var report = try await Self.lock(id, communityID: community.id, on: session)
            guard ReportLifecycle.mayReopen(report, by: viewer.person.id, now: Date()) else {
                throw AppError(report.authorID == viewer.person.id ? .conflict : .forbidden, detailKey: "report.error.reopen")
            }
            try await session.query("UPDATE reports SET reopened = reopened + 1 WHERE id = $1", id)
            report.reopened += 1
            try await Self.move(report, .reopen, actorID: viewer.person.id, text: reason, communitySlug: community.slug, outbox: outbox, on: session)
            try await register(report, community: community, on: session)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "report.reopen",
                                                 objectType: "report", objectID: String(id), summary: reason, ip: ip), on: session)
        }
    }

    // MARK: - Plumbing

    static func lock(_ id: Int, communityID: Int, on session: PostgresSession) async throws -> Report {
        try await session.query("SELECT 1 FROM reports WHERE id = $1 AND community_id = $2 FOR UPDATE", id, communityID)
        return try await find(id, communityID: communityID, on: session)
    }

    /// The workflow document of a report's current round: `12`, then `12.1` after a reopening.
    static func sourceID(reportID: Int, reopened: Int) -> String {
        reopened == 0 ? String(reportID) : "\(reportID).\(reopened)"
    }

    static func reportID(fromSourceID sourceID: String) -> Int? {
        Int(sourceID.split(separator: ".").first ?? "")
    }

    private func register(_ report: Report, community: Community, on session: PostgresSession) async throws {
        // Read on the transaction's own connection: taking a second one while holding this one
        // would starve the pool when many moderators accept at once.
        guard let category = try await session.query(Self.selectCategory + " WHERE community_id = $1 AND id = $2", community.id, report.categoryID)
            .map(Self.category).first else {
            throw AppError(.conflict, detailKey: "workflow.error.no_route")
        }
        _ = try await workflow.register(
            RegistrationRequest(kind: .problemReport, sourceType: Self.sourceType,
                                sourceID: Self.sourceID(reportID: report.id, reopened: report.reopened),
                                title: "\(category.nameUK): \(report.address.isEmpty ? String(report.description.prefix(120)) : report.address)",
                                category: category.code, authorID: report.authorID, deadline: .calendarDays(category.responseDays)),
            communityID: community.id, communitySlug: community.slug, on: session)
    }

    /// Moves the report by `event`, records it on the timeline and tells the reporter and supporters.
    static func move(_ report: Report, _ event: ReportEvent, actorID: Int?, text: String, communitySlug: String, outbox: Outbox,
                     on session: PostgresSession) async throws {
        guard let next = ReportLifecycle.status(after: event, from: report.status) else {
            throw AppError(.conflict, detailKey: "report.error.not_now")
        }
        try await session.query(
            """
            UPDATE reports SET status = $2, status_notes = CASE WHEN $3 = '' THEN status_notes ELSE $3 END, updated_at = now(),
                               resolved_at = CASE WHEN $2 = 'resolved' THEN now() END
            WHERE id = $1
            """, report.id, next.rawValue, text)
        try await recordEvent(report.id, actorID: actorID, kind: event == .resolve || event == .fail ? "answer" : "status",
                              from: report.status, to: next, text: text, on: session)
        try await outbox.broadcast(
            "report_status", values: ["id": String(report.id), "url": "/\(communitySlug)/reports/\(report.id)"],
            toPeopleIn: "SELECT person_id FROM report_supporters WHERE report_id = $1 UNION SELECT author_id FROM reports WHERE id = $1",
            parameter: report.id, communityID: report.communityID, on: session)
        // A report posted through Open311 may name its reporter only by an e-mail address.
        let posted = try await session.query(
            "SELECT reporter_email FROM reports WHERE id = $1 AND author_id IS NULL AND reporter_email IS NOT NULL", report.id)
        if let email: String = try posted.first?.decode("reporter_email") {
            try await outbox.send("report_status", to: Outbox.Recipient(personID: nil, email: email, language: .uk),
                                  values: ["id": String(report.id), "url": "/\(communitySlug)/reports/\(report.id)"],
                                  communityID: report.communityID, on: session)
        }
    }

    static func recordEvent(_ id: Int, actorID: Int?, kind: String, from: ReportStatus?, to: ReportStatus?, text: String,
                     on session: PostgresSession) async throws {
        try await session.query(
            "INSERT INTO report_events (report_id, actor_id, kind, from_status, to_status, text) VALUES ($1, $2, $3, $4, $5, $6)",
            id, actorID, kind, from?.rawValue, to?.rawValue, text)
    }
}
