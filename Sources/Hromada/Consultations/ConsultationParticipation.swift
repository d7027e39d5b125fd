import Foundation
import Postgres

/// Comments, support, moderation and survey submissions.
extension ConsultationStore {
    /// The comments a viewer sees: published ones, their own awaiting moderation, and for those
    /// who moderate every pending one; removed comments show with the reason and without text.
    public func comments(of id: Int, viewer: Viewer?, moderates: Bool) async throws -> [ConsultationComment] {
        try await database.query(
            """
            SELECT c.id, c.section_id, c.parent_id, c.author_id, p.full_name, c.body, c.status, c.removal_reason, c.created_at,
                   (SELECT count(*) FROM consultation_comment_supports s WHERE s.comment_id = c.id)::int AS supports,
                   EXISTS (SELECT 1 FROM consultation_comment_supports s WHERE s.comment_id = c.id AND s.person_id = $3) AS supported
            FROM consultation_comments c JOIN people p ON p.id = c.author_id
            WHERE c.consultation_id = $1 AND (c.status <> 'pending' OR $2 OR c.author_id = $3)
            ORDER BY c.id
            """, id, moderates, viewer?.person.id ?? 0
        ).map {
            ConsultationComment(
                id: try $0.decode("id"), sectionID: try $0.decode("section_id"), parentID: try $0.decode("parent_id"),
                authorID: try $0.decode("author_id"), authorName: try $0.decode("full_name"), body: try $0.decode("body"),
                status: try $0.decode("status"), removalReason: try $0.decode("removal_reason"), createdAt: try $0.decode("created_at"),
                supports: try $0.decode("supports"), supportedByViewer: try $0.decode("supported"))
        }
    }

    /// A comment on the draft, one of its current sections, or a reply to a published comment.
    public func comment(on id: Int, sectionID: Int?, parentID: Int?, body: String, by viewer: Viewer, community: Community,
                        verifications: VerificationStore, ip: String?) async throws {
        let consultation = try await find(id, communityID: community.id)
        guard consultation.format.hasDiscussion else { throw AppError(.conflict, detailKey: "consultation.error.no_discussion") }
        if let refusal = try await refusal(consultation, viewer: viewer, verifications: verifications) { throw refusal.appError }
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...5000).contains(body.count) else { throw AppError(.validation, fieldErrors: ["body": "consultation.error.comment"]) }
        try await database.transaction { session in
            try await limits.charge(.consultationComment, to: .person(viewer, address: ip), communityID: community.id, on: session)
            if let sectionID {
                // Only sections of the version now in force can be commented on.
                let current = try await session.query(
                    """
                    SELECT 1 FROM consultation_sections s JOIN consultation_versions v ON v.id = s.version_id
                    WHERE s.id = $1 AND v.consultation_id = $2
                      AND v.number = (SELECT max(number) FROM consultation_versions WHERE consultation_id = $2)
                    """, sectionID, id)
                guard !current.isEmpty else { throw AppError(.validation, fieldErrors: ["section": "consultation.error.section"]) }
            }
            if let parentID {
                let parent = try await session.query(
                    "SELECT 1 FROM consultation_comments WHERE id = $1 AND consultation_id = $2 AND status = 'published'", parentID, id)
                guard !parent.isEmpty else { throw AppError(.validation, fieldErrors: ["parent": "consultation.error.parent"]) }
            }
            let commentID: Int = try await session.query(
                """
                INSERT INTO consultation_comments (consultation_id, section_id, parent_id, author_id, body, status)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, id, sectionID, parentID, viewer.person.id, body, consultation.moderation == .pre ? "pending" : "published")[0].decode("id")
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "consultation.comment",
                                                 objectType: "consultation_comment", objectID: String(commentID), ip: ip), on: session)
        }
    }

    /// Support for a published comment of someone else, once per person.
    public func support(_ commentID: Int, consultationID: Int, by viewer: Viewer, communityID: Int, ip: String?) async throws {
        let rows = try await database.query(
            "SELECT author_id FROM consultation_comments WHERE id = $1 AND consultation_id = $2 AND status = 'published'", commentID, consultationID)
        guard let author: Int = try rows.first?.decode("author_id") else { throw AppError.notFound }
        guard author != viewer.person.id else { throw AppError(.conflict, detailKey: "consultation.error.own_comment") }
        try await database.transaction { session in
            try await limits.charge(.support, to: .person(viewer, address: ip), communityID: communityID, on: session)
            try await session.query(
                "INSERT INTO consultation_comment_supports (comment_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", commentID, viewer.person.id)
        }
    }

    /// Publishes a pending comment, or removes one with a reason shown in its place.
    public func moderate(_ commentID: Int, consultationID: Int, approve: Bool, reason: String, by moderator: Viewer, community: Community,
                         ip: String?) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if !approve && !(2...1000).contains(reason.count) { throw AppError(.validation, fieldErrors: ["reason": "consultation.error.reason"]) }
        try await database.transaction { session in
            let updated = try await session.query(
                """
                UPDATE consultation_comments SET status = $3, removal_reason = $4, moderated_by = $5, moderated_at = now()
                WHERE id = $1 AND consultation_id = $2 AND status <> 'removed' AND ($3 = 'removed' OR status = 'pending') RETURNING id
                """, commentID, consultationID, approve ? "published" : "removed", approve ? nil : reason, moderator.person.id)
            guard !updated.isEmpty else { throw AppError(.conflict, detailKey: "consultation.error.moderated") }
            try await AuditLog.record(AuditEntry(actorID: moderator.person.id, communityID: community.id,
                                                 action: approve ? "consultation.comment_publish" : "consultation.comment_remove",
                                                 objectType: "consultation_comment", objectID: String(commentID), summary: reason, ip: ip), on: session)
        }
    }

    /// Records one person's survey answers, once: the participant row's key refuses a second
    /// submission however many arrive at once. The answers carry only an age band and residence.
    public func submit(_ answers: [Int: SurveyAnswer], to id: Int, by viewer: Viewer, community: Community,
                       verifications: VerificationStore, ip: String?) async throws {
        let consultation = try await find(id, communityID: community.id)
        guard consultation.format.hasSurvey else { throw AppError(.conflict, detailKey: "consultation.error.no_survey") }
        if let refusal = try await refusal(consultation, viewer: viewer, verifications: verifications) { throw refusal.appError }
        let identity = try await verifications.identity(of: viewer.person.id, in: community.id)
        do {
            try await database.transaction { session in
                try await limits.charge(.surveyAnswer, to: .person(viewer, address: ip), communityID: community.id, on: session)
                try await session.query("INSERT INTO consultation_participants (consultation_id, person_id) VALUES ($1, $2)", id, viewer.person.id)
                let submission: Int = try await session.query(
                    "INSERT INTO consultation_submissions (consultation_id, age_band, is_resident) VALUES ($1, $2, $3) RETURNING id",
                    id, AgeBand.of(identity, on: KyivTime.day(of: Date())), identity?.isResident ?? false)[0].decode("id")
                for (questionID, answer) in answers {
                    var choices: [Int]?, scale: Int?, text: String?
                    switch answer {
                    case .choices(let indexes): choices = indexes
                    case .scale(let value): scale = value
                    case .text(let value): text = value
                    }
                    try await session.query(
                        """
                        INSERT INTO consultation_answers (submission_id, question_id, choices, scale_value, text_value)
                        SELECT $1, id, $3, $4, $5 FROM consultation_questions WHERE id = $2 AND consultation_id = $6
                        """, submission, questionID, choices, scale, text, id)
                }
            }
        } catch let error as PostgresError where error.constraint == "consultation_participants_pkey" {
            throw ParticipationRefusal.alreadySubmitted
        }
    }

    public func hasSubmitted(_ id: Int, personID: Int) async throws -> Bool {
        try await !database.query("SELECT 1 FROM consultation_participants WHERE consultation_id = $1 AND person_id = $2", id, personID).isEmpty
    }
}
