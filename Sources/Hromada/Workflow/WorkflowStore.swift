import Foundation
import Postgres

/// Documents in PostgreSQL: registration with gap-free numbers, routing, deadlines, the staff's
/// actions and the public view.
public struct WorkflowStore: Sendable {
    /// "Due soon" means due within this many days.
    public static let dueSoonDays = 3
    /// Every deadline is counted in Ukraine's time.
    static let timeZone = KyivTime.identifier

    let database: PostgresPool
    let outbox: Outbox
    let sources: [String: any DocumentSource]

    init(database: PostgresPool, outbox: Outbox, sources: [any DocumentSource]) {
        self.database = database
        self.outbox = outbox
        self.sources = Dictionary(uniqueKeysWithValues: sources.map { ($0.sourceType, $0) })
    }

    /// Every answer field any source takes, for reading them from a form.
    var answerFieldNames: [String] { Set(sources.values.flatMap(\.answerFields)).sorted() }

    // MARK: - Registration

    /// Registers a document in the caller's transaction: routes it, numbers it in its journal,
    /// counts its due date, records the event and tells the author.
    public func register(_ request: RegistrationRequest, communityID: Int, communitySlug: String, on session: PostgresSession) async throws -> Document {
        let departmentID = if let department = request.departmentID { department }
            else { try await route(module: request.sourceType, category: request.category, communityID: communityID, on: session) }
        let today = try await Self.today(on: session)
        let calendar = try await calendar(of: communityID, on: session)
        let dueOn = calendar.dueDate(registeredOn: today, rule: request.deadline ?? request.kind.defaultDeadline)
        let number = try await session.query(
            """
            INSERT INTO journal_counters (community_id, journal, year, last_number) VALUES ($1, $2, $3, 1)
            ON CONFLICT (community_id, journal, year) DO UPDATE SET last_number = journal_counters.last_number + 1
            RETURNING last_number
            """, communityID, request.kind.journal, today.year)[0].decode("last_number", as: Int.self)
        let reference = Self.reference(journal: request.kind.journal, year: today.year, number: number)
        let id = try await session.query(
            """
            INSERT INTO documents (community_id, kind, source_type, source_id, journal, registration_year, registration_number,
                                   reference, registered_on, department_id, due_on, priority, title, author_id, is_public)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id
            """, communityID, request.kind.rawValue, request.sourceType, request.sourceID, request.kind.journal, today.year, number,
            reference, today, departmentID, dueOn, request.priority.rawValue, request.title, request.authorID, request.kind.isPublic
        )[0].decode("id", as: Int.self)
        try await recordEvent(id, actorID: request.authorID, action: "register", from: nil, to: .registered, comment: "", internal: false, on: session)
        let document = try await find(id, communityID: communityID, on: session)
        if let authorID = request.authorID, let author = try await Outbox.recipient(personID: authorID, on: session) {
            try await outbox.send(
                "document_registered", to: author,
                values: ["reference": reference, "title": request.title, "due": dueOn.isoString,
                         "url": sourcePath(document, communitySlug: communitySlug)],
                communityID: communityID, on: session)
        }
        try await notifyDepartment(document, template: "document_assigned_department", communitySlug: communitySlug, on: session)
        return document
    }

    /// `ЗВ-2026/000123`.
    public static func reference(journal: String, year: Int, number: Int) -> String {
        "\(journal)-\(year)/\(String(format: "%06d", number))"
    }

    /// The department for (module, category): the exact rule, the module's default, then the
    /// community's default.
    func route(module: String, category: String, communityID: Int, on session: PostgresSession) async throws -> Int {
        let rows = try await session.query(
            """
            SELECT department_id FROM routing_rules
            WHERE community_id = $1 AND ((module = $2 AND category IN ($3, '')) OR module = '*')
            ORDER BY (module = $2 AND category = $3) DESC, (module = $2) DESC
            LIMIT 1
            """, communityID, module, category)
        guard let row = rows.first else { throw AppError(.conflict, detailKey: "workflow.error.no_route") }
        return try row.decode("department_id")
    }

    static func today(on session: PostgresSession) async throws -> CalendarDay {
        try await session.query("SELECT (now() AT TIME ZONE '\(timeZone)')::date AS today")[0].decode("today")
    }

    func calendar(of communityID: Int, on session: PostgresSession) async throws -> WorkingCalendar {
        WorkingCalendar(holidays: try await session.query(
            "SELECT day FROM holidays WHERE community_id = $1", communityID).map { try $0.decode("day", as: CalendarDay.self) })
    }

    // MARK: - Reading

    static let selectDocument = """
        SELECT d.id, d.community_id, d.kind, d.source_type, d.source_id, d.reference, d.registered_at, d.registered_on,
               d.department_id, dep.name_uk AS department_uk, dep.name_en AS department_en, d.assignee_id,
               a.full_name AS assignee_name, d.due_on, d.extension_reason, d.priority, d.status, d.title, d.author_id,
               d.is_public, d.answer_text, d.answer_outcome, d.answer_link, d.answered_at
        FROM documents d
        JOIN departments dep ON dep.id = d.department_id
        LEFT JOIN people a ON a.id = d.assignee_id
        """

    public func find(_ id: Int, communityID: Int, on session: PostgresSession? = nil) async throws -> Document {
        let sql = Self.selectDocument + " WHERE d.id = $1 AND d.community_id = $2"
        let rows = if let session { try await session.query(sql, id, communityID) } else { try await database.query(sql, id, communityID) }
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.document(row)
    }

    /// The document registered for a module's object, if any.
    public func find(sourceType: String, sourceID: String, communityID: Int) async throws -> Document? {
        try await database.query(
            Self.selectDocument + " WHERE d.source_type = $1 AND d.source_id = $2 AND d.community_id = $3",
            sourceType, sourceID, communityID
        ).first.map(Self.document)
    }

    /// A document's history; internal events only when `includeInternal`.
    public func events(of documentID: Int, includeInternal: Bool) async throws -> [DocumentEvent] {
        try await database.query(
            """
            SELECT e.at, p.full_name AS actor_name, e.action, e.from_status, e.to_status, e.comment, e.is_internal
            FROM document_events e LEFT JOIN people p ON p.id = e.actor_id
            WHERE e.document_id = $1 AND (NOT e.is_internal OR $2)
            ORDER BY e.id
            """, documentID, includeInternal
        ).map { row in
            DocumentEvent(
                at: try row.decode("at"), actorName: try row.decode("actor_name"), action: try row.decode("action"),
                fromStatus: (try row.decode("from_status", as: String?.self)).flatMap(DocumentStatus.init(rawValue:)),
                toStatus: (try row.decode("to_status", as: String?.self)).flatMap(DocumentStatus.init(rawValue:)),
                comment: try row.decode("comment"), isInternal: try row.decode("is_internal"))
        }
    }

    static func document(_ row: PostgresRow) throws -> Document {
        let answeredAt: Date? = try row.decode("answered_at")
        return Document(
            id: try row.decode("id"), communityID: try row.decode("community_id"),
            kind: DocumentKind(rawValue: try row.decode("kind")) ?? .appeal, sourceType: try row.decode("source_type"),
            sourceID: try row.decode("source_id"), reference: try row.decode("reference"),
            registeredAt: try row.decode("registered_at"), registeredOn: try row.decode("registered_on"),
            departmentID: try row.decode("department_id"),
            departmentName: (try row.decode("department_uk"), try row.decode("department_en")),
            assigneeID: try row.decode("assignee_id"), assigneeName: try row.decode("assignee_name"),
            dueOn: try row.decode("due_on"), extensionReason: try row.decode("extension_reason"),
            priority: DocumentPriority(rawValue: try row.decode("priority")) ?? .normal,
            status: DocumentStatus(rawValue: try row.decode("status")) ?? .registered, title: try row.decode("title"),
            authorID: try row.decode("author_id"), isPublic: try row.decode("is_public"),
            answer: try answeredAt.map { at in
                DocumentAnswer(text: try row.decode("answer_text") ?? "", outcome: try row.decode("answer_outcome") ?? "",
                               link: try row.decode("answer_link"), answeredAt: at)
            })
    }

    // MARK: - Notifications

    func sourcePath(_ document: Document, communitySlug: String) -> String {
        sources[document.sourceType]?.path(of: document, communitySlug: communitySlug) ?? "/\(communitySlug)/documents/\(document.id)"
    }

    /// Tells the assignee, or the department's heads when nobody is assigned.
    func notifyDepartment(_ document: Document, template: String, communitySlug: String, on session: PostgresSession) async throws {
        let recipients: [Int]
        if let assignee = document.assigneeID {
            recipients = [assignee]
        } else {
            recipients = try await session.query(
                "SELECT person_id FROM role_grants WHERE community_id = $1 AND department_id = $2 AND role = 'department_head'",
                document.communityID, document.departmentID
            ).map { try $0.decode("person_id", as: Int.self) }
        }
        for personID in recipients {
            guard let recipient = try await Outbox.recipient(personID: personID, on: session) else { continue }
            try await outbox.send(
                template, to: recipient,
                values: ["reference": document.reference, "title": document.title, "due": document.dueOn.isoString,
                         "url": "/\(communitySlug)/office/documents/\(document.id)"],
                communityID: document.communityID, on: session)
        }
    }

    func recordEvent(
        _ documentID: Int, actorID: Int?, action: String, from: DocumentStatus?, to: DocumentStatus?, comment: String,
        internal isInternal: Bool, on session: PostgresSession
    ) async throws {
        try await session.query(
            """
            INSERT INTO document_events (document_id, actor_id, action, from_status, to_status, comment, is_internal)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, documentID, actorID, action, from?.rawValue, to?.rawValue, comment, isInternal)
    }
}
