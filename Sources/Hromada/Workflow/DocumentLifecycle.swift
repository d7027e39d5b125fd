/// The statuses of a document.
public enum DocumentStatus: String, Sendable, CaseIterable, Codable {
    case registered
    case assigned
    case inProgress = "in_progress"
    case answered
    case closed
    /// Given back by the official (wrong department, cannot answer); the head decides again.
    case returned

    /// Still waiting for its answer, so it can be overdue.
    public var isOpen: Bool { self != .answered && self != .closed }

    public var titleKey: String { "document.status.\(rawValue)" }
}

/// What staff do to a document.
public enum DocumentAction: String, Sendable, CaseIterable, Codable {
    /// The head gives it to an official of the department.
    case assign
    /// An official of the department takes it for themselves and starts work.
    case take
    /// An internal note; never shown to the public.
    case comment
    /// A new due date with a reason, within the kind's maximum term.
    case extend
    /// The assignee gives it back to the head.
    case giveBack = "return"
    /// The head sends it to another department.
    case transfer
    /// The public answer; it goes back to the source object.
    case answer
    /// The head closes an answered document.
    case close

    public var titleKey: String { "document.action.\(rawValue)" }
}

/// How the person acting stands to the document.
public struct StaffRelation: Sendable, Equatable {
    public var isAdministrator = false
    /// Head of the department the document is with.
    public var isHead = false
    /// Official (or head) of the department the document is with.
    public var isInDepartment = false
    public var isAssignee = false

    public init(isAdministrator: Bool = false, isHead: Bool = false, isInDepartment: Bool = false, isAssignee: Bool = false) {
        self.isAdministrator = isAdministrator
        self.isHead = isHead
        self.isInDepartment = isInDepartment || isHead
        self.isAssignee = isAssignee
    }

    /// May see internal comments and the full history.
    public var canSeeInternals: Bool { isAdministrator || isInDepartment }
}

/// The document state machine: which action is allowed for whom in which status, and where it leads.
/// Plain values in and out, so it is tested without a database.
public enum DocumentLifecycle {
    /// The status after `action`, or `nil` when the action is not allowed in `status`.
    public static func status(after action: DocumentAction, from status: DocumentStatus) -> DocumentStatus? {
        switch (action, status) {
        case (.assign, .registered), (.assign, .assigned), (.assign, .inProgress), (.assign, .returned): .assigned
        case (.take, .registered), (.take, .assigned), (.take, .returned): .inProgress
        case (.comment, _): status
        case (.extend, _) where status.isOpen: status
        case (.giveBack, .assigned), (.giveBack, .inProgress): .returned
        case (.transfer, _) where status.isOpen: .registered
        case (.answer, .assigned), (.answer, .inProgress): .answered
        case (.close, .answered): .closed
        default: nil
        }
    }

    /// Whether someone standing in `relation` may do `action`.
    public static func permits(_ action: DocumentAction, _ relation: StaffRelation, status: DocumentStatus) -> Bool {
        let manages = relation.isHead || relation.isAdministrator
        switch action {
        case .assign, .transfer, .close: return manages
        case .take: return relation.isInDepartment && (status != .assigned || relation.isAssignee)
        case .comment: return relation.canSeeInternals
        case .extend, .answer: return relation.isAssignee || manages
        case .giveBack: return relation.isAssignee
        }
    }

    /// The actions `relation` can take now, in the order the page offers them.
    public static func availableActions(_ relation: StaffRelation, status: DocumentStatus) -> [DocumentAction] {
        DocumentAction.allCases.filter { action in
            Self.status(after: action, from: status) != nil && permits(action, relation, status: status)
        }
    }
}
