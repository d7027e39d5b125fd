import Foundation
import Postgres

/// The officials' queues.
public enum DocumentQueue: String, Sendable, CaseIterable {
    /// Open documents assigned to me.
    case mine
    /// Open documents of my departments (all of the community's for an administrator).
    case department
    /// Open documents due within ``WorkflowStore/dueSoonDays`` days.
    case dueSoon = "due_soon"
    /// Open documents past their due date.
    case overdue
    /// Answered and closed documents.
    case done

    public var titleKey: String { "office.queue.\(rawValue)" }
}

public struct QueueFilter: Sendable {
    public var queue: DocumentQueue
    public var kind: DocumentKind?
    public var status: DocumentStatus?

    public init(queue: DocumentQueue, kind: DocumentKind? = nil, status: DocumentStatus? = nil) {
        self.queue = queue
        self.kind = kind
        self.status = status
    }
}

extension WorkflowStore {
    /// The conditions each queue adds to the viewer's scope. `today` is $4.
    static func condition(_ queue: DocumentQueue) -> String {
        let open = "d.status NOT IN ('answered', 'closed')"
        switch queue {
        case .mine: return "\(open) AND d.assignee_id = $5"
        case .department: return open
        case .dueSoon: return "\(open) AND d.due_on BETWEEN $4 AND $4 + \(dueSoonDays)"
        case .overdue: return "\(open) AND d.due_on < $4"
        case .done: return "d.status IN ('answered', 'closed')"
        }
    }

    /// The documents of a queue the viewer may see, most urgent first.
    public func documents(in filter: QueueFilter, for viewer: Viewer, communityID: Int, limit: Int = 200) async throws -> [Document] {
        try await database.withConnection { session in
            let today = try await Self.today(on: session)
            let order = filter.queue == .done ? "d.answered_at DESC" : "d.due_on, d.id"
            return try await session.query(
                Self.selectDocument + """
                 WHERE d.community_id = $1 AND ($2 OR d.department_id = ANY($3)) AND \(Self.condition(filter.queue))
                   AND ($6::text IS NULL OR d.kind = $6) AND ($7::text IS NULL OR d.status = $7)
                 ORDER BY \(order) LIMIT $8
                """,
                communityID, viewer.can(.administer, in: communityID), viewer.departments(in: communityID), today,
                viewer.person.id, filter.kind?.rawValue, filter.status?.rawValue, limit
            ).map(Self.document)
        }
    }

    /// How many documents each queue holds for the viewer.
    public func counts(for viewer: Viewer, communityID: Int) async throws -> [DocumentQueue: Int] {
        try await database.withConnection { session in
            let today = try await Self.today(on: session)
            let columns = DocumentQueue.allCases.map { "count(*) FILTER (WHERE \(Self.condition($0))) AS \($0.rawValue)" }
            let row = try await session.query(
                "SELECT \(columns.joined(separator: ", ")) FROM documents d WHERE d.community_id = $1 AND ($2 OR d.department_id = ANY($3))"
                    + " AND $4::date IS NOT NULL AND $5::bigint IS NOT NULL",
                communityID, viewer.can(.administer, in: communityID), viewer.departments(in: communityID), today, viewer.person.id)[0]
            var counts: [DocumentQueue: Int] = [:]
            for queue in DocumentQueue.allCases { counts[queue] = try row.decode(queue.rawValue) }
            return counts
        }
    }

    /// Officials and heads of a department, for the head's assignment list.
    public func staff(of departmentID: Int, communityID: Int) async throws -> [(id: Int, name: String)] {
        try await database.query(
            """
            SELECT DISTINCT p.id, p.full_name FROM role_grants g JOIN people p ON p.id = g.person_id
            WHERE g.community_id = $1 AND g.department_id = $2 AND g.role IN ('official', 'department_head')
            ORDER BY p.full_name
            """, communityID, departmentID
        ).map { (try $0.decode("id"), try $0.decode("full_name")) }
    }

    /// Documents whose author is the person (a citizen following their items).
    public func documents(authoredBy personID: Int, communityID: Int) async throws -> [Document] {
        try await database.query(
            Self.selectDocument + " WHERE d.author_id = $1 AND d.community_id = $2 ORDER BY d.registered_at DESC",
            personID, communityID
        ).map(Self.document)
    }
}

/// How one executive body answers, for the public: the council's record in numbers.
public struct DepartmentRecord: Sendable {
    public var departmentName: (uk: String, en: String)
    public var registered: Int
    public var answered: Int
    public var answeredOnTime: Int
    public var overdueNow: Int
}

extension WorkflowStore {
    /// Per department, documents registered this year, answered, answered by their due date, and
    /// open past it today.
    public func record(of communityID: Int) async throws -> [DepartmentRecord] {
        try await database.withConnection { session in
            let today = try await Self.today(on: session)
            return try await session.query(
                """
                SELECT dep.name_uk, dep.name_en, count(*)::int AS registered,
                       count(*) FILTER (WHERE d.answered_at IS NOT NULL)::int AS answered,
                       count(*) FILTER (WHERE (d.answered_at AT TIME ZONE '\(Self.timeZone)')::date <= d.due_on)::int AS on_time,
                       count(*) FILTER (WHERE d.status NOT IN ('answered', 'closed') AND d.due_on < $2)::int AS overdue
                FROM documents d JOIN departments dep ON dep.id = d.department_id
                WHERE d.community_id = $1 AND d.registration_year = $3
                GROUP BY dep.id ORDER BY dep.name_uk
                """, communityID, today, today.year
            ).map { row in
                DepartmentRecord(
                    departmentName: (try row.decode("name_uk"), try row.decode("name_en")), registered: try row.decode("registered"),
                    answered: try row.decode("answered"), answeredOnTime: try row.decode("on_time"), overdueNow: try row.decode("overdue"))
            }
        }
    }
}
