import Foundation
import Postgres

/// A registered document, as staff and the public see it.
public struct Document: Sendable {
    public var id: Int
    public var communityID: Int
    public var kind: DocumentKind
    public var sourceType: String
    public var sourceID: String
    /// The registration number, `ЗВ-2026/000123`.
    public var reference: String
    public var registeredAt: Date
    public var registeredOn: CalendarDay
    public var departmentID: Int
    public var departmentName: (uk: String, en: String)
    public var assigneeID: Int?
    public var assigneeName: String?
    public var dueOn: CalendarDay
    public var extensionReason: String?
    public var priority: DocumentPriority
    public var status: DocumentStatus
    public var title: String
    public var authorID: Int?
    public var isPublic: Bool
    public var answer: DocumentAnswer?

    public func departmentName(_ language: Language) -> String { language == .en ? departmentName.en : departmentName.uk }

    /// Open and past its due date on `today`; computed, never stored.
    public func isOverdue(today: CalendarDay) -> Bool { status.isOpen && dueOn < today }

    /// Open and due within `days` days from `today`.
    public func isDueSoon(today: CalendarDay, days: Int = WorkflowStore.dueSoonDays) -> Bool {
        status.isOpen && dueOn >= today && dueOn <= today.adding(days: days)
    }
}

/// The public answer to a document, which goes back to its source object.
public struct DocumentAnswer: Sendable, Equatable {
    public var text: String
    /// What the answer decided, one of the source's ``DocumentSource/answerOutcomes``.
    public var outcome: String
    public var link: String?
    public var answeredAt: Date
    /// The source's own fields of the answer (``DocumentSource/answerFields``), as typed.
    public var fields: [String: String]

    public init(text: String, outcome: String, link: String?, answeredAt: Date, fields: [String: String] = [:]) {
        self.text = text
        self.outcome = outcome
        self.link = link
        self.answeredAt = answeredAt
        self.fields = fields
    }
}

/// One entry of a document's history.
public struct DocumentEvent: Sendable {
    public var at: Date
    public var actorName: String?
    public var action: String
    public var fromStatus: DocumentStatus?
    public var toStatus: DocumentStatus?
    public var comment: String
    public var isInternal: Bool
}

/// What a module hands to the workflow to register.
public struct RegistrationRequest: Sendable {
    public var kind: DocumentKind
    public var sourceType: String
    public var sourceID: String
    public var title: String
    /// Routes the document (an appeal's topic, a report's category, a register).
    public var category: String
    public var authorID: Int?
    public var priority: DocumentPriority
    /// A shorter term than the kind's default, such as an Open City category's target time.
    public var deadline: DeadlineRule?
    /// The department, when the source already knows it (a consultation's responsible body)
    /// instead of the routing rules.
    public var departmentID: Int?

    public init(
        kind: DocumentKind, sourceType: String, sourceID: String, title: String, category: String = "",
        authorID: Int? = nil, priority: DocumentPriority = .normal, deadline: DeadlineRule? = nil, departmentID: Int? = nil
    ) {
        self.kind = kind
        self.sourceType = sourceType
        self.sourceID = sourceID
        self.title = title
        self.category = category
        self.authorID = authorID
        self.priority = priority
        self.deadline = deadline
        self.departmentID = departmentID
    }
}

/// The seam between the workflow and the modules whose items it registers. Each module
/// (appeals, petitions, Open City, the geoportal, the budget, consultations) implements it once;
/// the workflow calls it inside the transaction that publishes an answer, so the source object
/// and the document change together or not at all.
public protocol DocumentSource: Sendable {
    /// The `source_type` of this module's documents, such as `appeal`.
    var sourceType: String { get }
    /// The outcomes an official can choose when answering (catalogue keys `outcome.<value>`).
    var answerOutcomes: [String] { get }
    /// Fields of its own that an answer carries to the source (a budget review's corrected cost);
    /// the answer form shows an input for each, labelled by the catalogue key `answer_field.<name>`.
    var answerFields: [String] { get }
    /// Applies the official answer to the source object (a petition gets its answer, a report
    /// becomes resolved or rejected).
    func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws
    /// The page of the source object, where the public follows the document.
    func path(of document: Document, communitySlug: String) -> String
    /// Called when an official takes the document up (takes it or is assigned it), in the same
    /// transaction, so the source can show that work has started.
    func documentTakenUp(_ document: Document, on session: PostgresSession) async throws
}

extension DocumentSource {
    public var answerFields: [String] { [] }
    public func documentTakenUp(_ document: Document, on session: PostgresSession) async throws {}
}
