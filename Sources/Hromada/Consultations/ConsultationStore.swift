import Foundation
import Postgres

/// What officials write to open a consultation, as typed; checked by ``errors(today:)``.
public struct ConsultationDraft: Sendable {
    public var title: String
    public var question: String
    public var departmentID: Int?
    public var affected: String
    public var startsOn: CalendarDay?
    public var endsOn: CalendarDay?
    public var format: ConsultationFormat?
    public var participation: Participation?
    public var minimumAge: Int?
    public var moderation: CommentModeration?
    /// Sections, each starting with `## Heading`.
    public var sectionsText: String
    /// The survey in the text form ``SurveyQuestion/parse(_:)`` reads.
    public var surveyText: String
    /// Attached documents, a line each: `Title | https://…`.
    public var documentsText: String

    public init(title: String, question: String, departmentID: Int?, affected: String, startsOn: CalendarDay?, endsOn: CalendarDay?,
                format: ConsultationFormat?, participation: Participation?, minimumAge: Int?, moderation: CommentModeration?,
                sectionsText: String, surveyText: String, documentsText: String) {
        self.title = title
        self.question = question
        self.departmentID = departmentID
        self.affected = affected
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.format = format
        self.participation = participation
        self.minimumAge = minimumAge
        self.moderation = moderation
        self.sectionsText = sectionsText
        self.surveyText = surveyText
        self.documentsText = documentsText
    }

    public var documents: [(title: String, url: String)]? {
        var documents: [(title: String, url: String)] = []
        for line in documentsText.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 300, parts[1].count <= 1000,
                  parts[1].hasPrefix("https://") || parts[1].hasPrefix("http://") else { return nil }
            documents.append((parts[0], parts[1]))
        }
        return documents
    }

    /// Field errors (catalogue keys); empty when acceptable.
    public func errors() -> [String: String] {
        var errors: [String: String] = [:]
        if !(10...300).contains(title.count) { errors["title"] = "consultation.error.title" }
        if !(10...2000).contains(question.count) { errors["question"] = "consultation.error.question" }
        if departmentID == nil { errors["department"] = "budget.error.department" }
        if affected.count > 1000 { errors["affected"] = "consultation.error.affected" }
        if startsOn == nil { errors["starts_on"] = "budget.error.date" }
        if endsOn == nil { errors["ends_on"] = "budget.error.date" }
        if let start = startsOn, let end = endsOn, end < start { errors["ends_on"] = "consultation.error.period" }
        if format == nil { errors["format"] = "consultation.error.choice" }
        if participation == nil { errors["participation"] = "consultation.error.choice" }
        if minimumAge.map({ !(14...100).contains($0) }) ?? true { errors["minimum_age"] = "budget.error.age" }
        if moderation == nil { errors["moderation"] = "consultation.error.choice" }
        let sections = DraftSection.parse(sectionsText, untitled: title)
        if sections.isEmpty || sections.contains(where: { $0.heading.count > 300 || $0.body.count > 20_000 }) || sections.count > 100 {
            errors["sections"] = "consultation.error.sections"
        }
        if format?.hasSurvey == true {
            switch SurveyQuestion.parse(surveyText) {
            case .success(let questions) where questions.isEmpty: errors["survey"] = "survey.error.empty"
            case .failure(let error): errors["survey"] = error.key
            default: break
            }
        }
        if documents == nil { errors["documents"] = "consultation.error.documents" }
        return errors
    }
}

/// A comment as the draft view shows it.
public struct ConsultationComment: Sendable {
    public var id: Int
    public var sectionID: Int?
    public var parentID: Int?
    public var authorID: Int
    public var authorName: String
    public var body: String
    public var status: String
    public var removalReason: String?
    public var createdAt: Date
    public var supports: Int
    /// Whether the viewer the comments were read for has supported this one.
    public var supportedByViewer: Bool
}

/// A conclusion of the responsible body on one proposal.
public struct Conclusion: Sendable {
    public var proposal: String
    public var decision: String
    public var reason: String
}

/// E-consultations in PostgreSQL.
public struct ConsultationStore: Sendable {
    let database: PostgresPool
    let workflow: WorkflowStore
    let outbox: Outbox
    let limits: LimitStore

    public static let sourceType = "consultation"

    static let select = """
        SELECT id, community_id, title, question, department_id, affected, starts_on, ends_on, format, participation, minimum_age,
               moderation, created_by, closed_at, report_summary, report_published_at
        FROM consultations
        """

    static func consultation(_ row: PostgresRow) throws -> Consultation {
        Consultation(
            id: try row.decode("id"), communityID: try row.decode("community_id"), title: try row.decode("title"),
            question: try row.decode("question"), departmentID: try row.decode("department_id"), affected: try row.decode("affected"),
            startsOn: try row.decode("starts_on"), endsOn: try row.decode("ends_on"),
            format: ConsultationFormat(rawValue: try row.decode("format")) ?? .discussion,
            participation: Participation(rawValue: try row.decode("participation")) ?? .verified, minimumAge: try row.decode("minimum_age"),
            moderation: CommentModeration(rawValue: try row.decode("moderation")) ?? .post, createdBy: try row.decode("created_by"),
            closedAt: try row.decode("closed_at"), reportSummary: try row.decode("report_summary"),
            reportPublishedAt: try row.decode("report_published_at"))
    }

    public func find(_ id: Int, communityID: Int, on session: PostgresSession? = nil) async throws -> Consultation {
        let sql = Self.select + " WHERE id = $1 AND community_id = $2"
        let rows = if let session { try await session.query(sql, id, communityID) } else { try await database.query(sql, id, communityID) }
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.consultation(row)
    }

    public func all(communityID: Int) async throws -> [Consultation] {
        try await database.query(Self.select + " WHERE community_id = $1 ORDER BY starts_on DESC, id DESC", communityID).map(Self.consultation)
    }

    /// Moderators, administrators and the staff of the responsible department run a consultation.
    public static func canManage(departmentID: Int, communityID: Int, viewer: Viewer) -> Bool {
        viewer.can(.moderate, in: communityID) || viewer.can(.administer, in: communityID)
            || viewer.departments(in: communityID).contains(departmentID)
    }

    // MARK: - Opening and the draft

    /// Opens a consultation with version 1 of its draft, its survey and its documents.
    public func create(_ draft: ConsultationDraft, by viewer: Viewer, community: Community, ip: String?) async throws -> Int {
        let errors = draft.errors()
        guard errors.isEmpty, let departmentID = draft.departmentID, let startsOn = draft.startsOn, let endsOn = draft.endsOn,
              let format = draft.format, let participation = draft.participation, let minimumAge = draft.minimumAge,
              let moderation = draft.moderation, let documents = draft.documents
        else { throw AppError(.validation, fieldErrors: errors) }
        guard Self.canManage(departmentID: departmentID, communityID: community.id, viewer: viewer) else { throw AppError.forbidden }
        let questions = format.hasSurvey ? (try? SurveyQuestion.parse(draft.surveyText).get()) ?? [] : []
        return try await database.transaction { session in
            let department = try await session.query("SELECT 1 FROM departments WHERE id = $1 AND community_id = $2", departmentID, community.id)
            guard !department.isEmpty else { throw AppError(.validation, fieldErrors: ["department": "budget.error.department"]) }
            let id: Int = try await session.query(
                """
                INSERT INTO consultations (community_id, title, question, department_id, affected, starts_on, ends_on, format, participation,
                                           minimum_age, moderation, created_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                """, community.id, draft.title, draft.question, departmentID, draft.affected, startsOn, endsOn, format.rawValue,
                participation.rawValue, minimumAge, moderation.rawValue, viewer.person.id)[0].decode("id")
            try await insertVersion(id, sectionsText: draft.sectionsText, untitled: draft.title, note: "", by: viewer, on: session)
            for question in questions {
                try await session.query(
                    """
                    INSERT INTO consultation_questions (consultation_id, position, kind, text, options, max_choices, scale_min, scale_max)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """, id, question.position, question.kind.rawValue, question.text, question.options, question.maxChoices,
                    question.scale?.lowerBound, question.scale?.upperBound)
            }
            for document in documents {
                try await session.query("INSERT INTO consultation_documents (consultation_id, title, url) VALUES ($1, $2, $3)",
                                        id, document.title, document.url)
            }
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "consultation.create",
                                                 objectType: "consultation", objectID: String(id), summary: draft.title, ip: ip), on: session)
            return id
        }
    }

    /// Publishes a new version of the draft. Earlier versions stay, with the comments made on them.
    public func publishVersion(of id: Int, sectionsText: String, note: String, by viewer: Viewer, community: Community, ip: String?) async throws {
        let consultation = try await find(id, communityID: community.id)
        guard Self.canManage(departmentID: consultation.departmentID, communityID: community.id, viewer: viewer) else { throw AppError.forbidden }
        guard [.upcoming, .open].contains(consultation.phase(on: KyivTime.day(of: Date()))) else {
            throw AppError(.conflict, detailKey: "consultation.error.closed")
        }
        let sections = DraftSection.parse(sectionsText, untitled: consultation.title)
        guard !sections.isEmpty, sections.count <= 100, !sections.contains(where: { $0.heading.count > 300 || $0.body.count > 20_000 }) else {
            throw AppError(.validation, fieldErrors: ["sections": "consultation.error.sections"])
        }
        guard note.count <= 2000 else { throw AppError(.validation, fieldErrors: ["note": "consultation.error.note"]) }
        try await database.transaction { session in
            try await session.query("SELECT 1 FROM consultations WHERE id = $1 FOR UPDATE", id)
            try await insertVersion(id, sectionsText: sectionsText, untitled: consultation.title, note: note, by: viewer, on: session)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "consultation.new_version",
                                                 objectType: "consultation", objectID: String(id), summary: note, ip: ip), on: session)
        }
    }

    private func insertVersion(_ id: Int, sectionsText: String, untitled: String, note: String, by viewer: Viewer,
                               on session: PostgresSession) async throws {
        let version: Int = try await session.query(
            """
            INSERT INTO consultation_versions (consultation_id, number, note, created_by)
            SELECT $1, coalesce(max(number), 0) + 1, $2, $3 FROM consultation_versions WHERE consultation_id = $1 RETURNING id
            """, id, note, viewer.person.id)[0].decode("id")
        let sections = DraftSection.parse(sectionsText, untitled: untitled)
        try await session.query(
            """
            INSERT INTO consultation_sections (version_id, position, heading, body)
            SELECT $1, n, heading, body FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS s(heading, body, n)
            """, version, sections.map(\.heading), sections.map(\.body))
    }

    /// The versions of the draft, newest first: number, note, date and sections.
    public func versions(of id: Int) async throws -> [(id: Int, number: Int, note: String, at: Date, sections: [DraftSection])] {
        let sections = try await database.query(
            """
            SELECT s.id, s.version_id, s.position, s.heading, s.body FROM consultation_sections s
            JOIN consultation_versions v ON v.id = s.version_id WHERE v.consultation_id = $1 ORDER BY s.position
            """, id)
        var byVersion: [Int: [DraftSection]] = [:]
        for row in sections {
            byVersion[try row.decode("version_id"), default: []].append(
                DraftSection(id: try row.decode("id"), position: try row.decode("position"), heading: try row.decode("heading"), body: try row.decode("body")))
        }
        return try await database.query(
            "SELECT id, number, note, created_at FROM consultation_versions WHERE consultation_id = $1 ORDER BY number DESC", id
        ).map { (try $0.decode("id"), try $0.decode("number"), try $0.decode("note"), try $0.decode("created_at"), byVersion[try $0.decode("id")] ?? []) }
    }

    public func documents(of id: Int) async throws -> [(title: String, url: String)] {
        try await database.query("SELECT title, url FROM consultation_documents WHERE consultation_id = $1 ORDER BY id", id)
            .map { (try $0.decode("title"), try $0.decode("url")) }
    }

    public func questions(of id: Int) async throws -> [SurveyQuestion] {
        try await database.query(
            "SELECT id, position, kind, text, options, max_choices, scale_min, scale_max FROM consultation_questions WHERE consultation_id = $1 ORDER BY position",
            id
        ).map { row in
            let low: Int? = try row.decode("scale_min"), high: Int? = try row.decode("scale_max")
            return SurveyQuestion(id: try row.decode("id"), position: try row.decode("position"),
                                  kind: SurveyQuestion.Kind(rawValue: try row.decode("kind")) ?? .text, text: try row.decode("text"),
                                  options: try row.decode("options"), maxChoices: try row.decode("max_choices"),
                                  scale: low.flatMap { l in high.map { l...$0 } })
        }
    }

    // MARK: - Taking part

    /// Whether the viewer may take part now, and if not why.
    public func refusal(_ consultation: Consultation, viewer: Viewer, verifications: VerificationStore) async throws -> ParticipationRefusal? {
        let identity = try await verifications.identity(of: viewer.person.id, in: consultation.communityID)
        let today = KyivTime.day(of: Date())
        return ParticipationRefusal.check(
            phase: consultation.phase(on: today), participation: consultation.participation, minimumAge: consultation.minimumAge,
            isMember: !viewer.roles(in: consultation.communityID).isEmpty, identity: identity, today: today)
    }
}
