import Foundation
import Postgres

/// What the report shows about participation.
public struct ParticipationFigures: Sendable {
    public var submissions: Int
    public var residents: Int
    public var byAgeBand: [String: Int]
    public var comments: Int
    public var commenters: Int
    /// Published comments per section id; `nil` key counts those on the draft as a whole.
    public var commentsBySection: [Int?: Int]
}

/// Survey results, participation, closing at the end of the period, and the published report.
extension ConsultationStore {
    /// Every submission's answers, as ``QuestionResult/tally(_:answers:)`` takes them.
    public func results(of id: Int) async throws -> [QuestionResult] {
        let questions = try await questions(of: id)
        var submissions: [Int: [Int: SurveyAnswer]] = [:]
        for row in try await database.query(
            """
            SELECT a.submission_id, a.question_id, a.choices, a.scale_value, a.text_value FROM consultation_answers a
            JOIN consultation_submissions s ON s.id = a.submission_id WHERE s.consultation_id = $1 ORDER BY a.submission_id
            """, id)
        {
            let answer: SurveyAnswer
            if let choices: [Int] = try row.decode("choices") { answer = .choices(choices) }
            else if let scale: Int = try row.decode("scale_value") { answer = .scale(scale) }
            else { answer = .text(try row.decode("text_value") ?? "") }
            submissions[try row.decode("submission_id"), default: [:]][try row.decode("question_id")] = answer
        }
        return QuestionResult.tally(questions, answers: submissions.keys.sorted().compactMap { submissions[$0] })
    }

    public func figures(of id: Int) async throws -> ParticipationFigures {
        let survey = try await database.query(
            "SELECT age_band, is_resident, count(*)::int AS n FROM consultation_submissions WHERE consultation_id = $1 GROUP BY 1, 2", id)
        var figures = ParticipationFigures(submissions: 0, residents: 0, byAgeBand: [:], comments: 0, commenters: 0, commentsBySection: [:])
        for row in survey {
            let count: Int = try row.decode("n")
            figures.submissions += count
            if try row.decode("is_resident") { figures.residents += count }
            figures.byAgeBand[try row.decode("age_band"), default: 0] += count
        }
        for row in try await database.query(
            "SELECT section_id, count(*)::int AS n FROM consultation_comments WHERE consultation_id = $1 AND status = 'published' GROUP BY 1", id)
        {
            let count: Int = try row.decode("n")
            figures.commentsBySection[try row.decode("section_id", as: Int?.self)] = count
            figures.comments += count
        }
        figures.commenters = try await database.query(
            "SELECT count(DISTINCT author_id)::int AS n FROM consultation_comments WHERE consultation_id = $1 AND status = 'published'", id
        )[0].decode("n")
        return figures
    }

    /// Closes consultations whose period has ended (the sweep job). Returns how many.
    @discardableResult
    static func closeEnded(on session: PostgresSession) async throws -> Int {
        try await session.query(
            """
            UPDATE consultations SET closed_at = now()
            WHERE closed_at IS NULL AND ends_on < (now() AT TIME ZONE '\(WorkflowStore.timeZone)')::date RETURNING id
            """).count
    }

    public func conclusions(of id: Int) async throws -> [Conclusion] {
        try await database.query("SELECT proposal, decision, reason FROM consultation_conclusions WHERE consultation_id = $1 ORDER BY id", id)
            .map { Conclusion(proposal: try $0.decode("proposal"), decision: try $0.decode("decision"), reason: try $0.decode("reason")) }
    }

    /// Adds the body's decision on one proposal, until the report is published.
    public func addConclusion(to id: Int, proposal: String, decision: String, reason: String, by viewer: Viewer, community: Community,
                              ip: String?) async throws {
        let consultation = try await find(id, communityID: community.id)
        guard Self.canManage(departmentID: consultation.departmentID, communityID: community.id, viewer: viewer) else { throw AppError.forbidden }
        guard consultation.phase(on: KyivTime.day(of: Date())) == .closed else { throw AppError(.conflict, detailKey: "consultation.error.not_closed") }
        let proposal = proposal.trimmingCharacters(in: .whitespacesAndNewlines), reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [String: String] = [:]
        if !(2...5000).contains(proposal.count) { errors["proposal"] = "consultation.error.proposal" }
        if !["accepted", "partly_accepted", "rejected"].contains(decision) { errors["decision"] = "consultation.error.choice" }
        if !(2...5000).contains(reason.count) { errors["reason"] = "consultation.error.reason" }
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        try await database.transaction { session in
            try await session.query(
                "INSERT INTO consultation_conclusions (consultation_id, proposal, decision, reason, created_by) VALUES ($1, $2, $3, $4, $5)",
                id, proposal, decision, reason, viewer.person.id)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "consultation.conclusion",
                                                 objectType: "consultation", objectID: String(id), summary: decision, ip: ip), on: session)
        }
    }

    /// Publishes the report: it is registered in the workflow with the responsible department,
    /// and everyone who commented or answered the survey is told.
    public func publishReport(of id: Int, summary: String, by viewer: Viewer, community: Community, ip: String?) async throws {
        let summary = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (10...20_000).contains(summary.count) else { throw AppError(.validation, fieldErrors: ["summary": "consultation.error.summary"]) }
        try await database.transaction { session in
            let consultation = try await find(id, communityID: community.id, on: session)
            guard Self.canManage(departmentID: consultation.departmentID, communityID: community.id, viewer: viewer) else { throw AppError.forbidden }
            let published = try await session.query(
                """
                UPDATE consultations SET report_summary = $2, report_published_at = now()
                WHERE id = $1 AND closed_at IS NOT NULL AND report_published_at IS NULL RETURNING id
                """, id, summary)
            guard !published.isEmpty else { throw AppError(.conflict, detailKey: "consultation.error.not_closed") }
            _ = try await workflow.register(
                RegistrationRequest(kind: .consultationReport, sourceType: Self.sourceType, sourceID: String(id),
                                    title: String(consultation.title.prefix(280)), authorID: viewer.person.id,
                                    departmentID: consultation.departmentID),
                communityID: community.id, communitySlug: community.slug, on: session)
            try await outbox.broadcast(
                "consultation_report", values: ["title": consultation.title, "url": "/\(community.slug)/consultations/\(id)"],
                toPeopleIn: """
                    SELECT person_id FROM consultation_participants WHERE consultation_id = $1
                    UNION SELECT author_id FROM consultation_comments WHERE consultation_id = $1
                    """, parameter: id, communityID: community.id, on: session)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "consultation.report",
                                                 objectType: "consultation", objectID: String(id), ip: ip), on: session)
        }
    }
}

/// Consultation reports as workflow documents: registered for the record with the responsible
/// body, which closes them; the answer changes nothing on the consultation.
public struct ConsultationSource: DocumentSource {
    public var sourceType: String { ConsultationStore.sourceType }
    public var answerOutcomes: [String] { ["answered"] }

    public func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws {}

    public func path(of document: Document, communitySlug: String) -> String {
        "/\(communitySlug)/consultations/\(document.sourceID)"
    }
}

/// Every few minutes: closes consultations whose period has ended.
struct ConsultationSweep: JobHandler {
    static let kind = "consultations.sweep"
    var kind: String { Self.kind }

    func run(_ job: Job, on session: PostgresSession) async throws {
        try await ConsultationStore.closeEnded(on: session)
    }
}
