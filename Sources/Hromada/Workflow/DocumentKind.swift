/// What a registered document is, which decides its journal, its term and who may see it.
public enum DocumentKind: String, Sendable, CaseIterable, Codable {
    /// An appeal to the council (law "On citizens' appeals").
    case appeal
    /// An e-petition that reached its signature threshold.
    case petition
    /// An Open City problem report.
    case problemReport = "problem_report"
    /// Feedback on a geoportal object.
    case geoFeedback = "geo_feedback"
    /// A participatory budget project under review.
    case budgetProject = "budget_project"
    /// An e-consultation's report.
    case consultationReport = "consultation_report"

    /// The registration journal's code, the first part of `ЗВ-2026/000123`.
    public var journal: String {
        switch self {
        case .appeal: "ЗВ"
        case .petition: "ЕП"
        case .problemReport: "ВМ"
        case .geoFeedback: "ГП"
        case .budgetProject: "БУ"
        case .consultationReport: "ЕК"
        }
    }

    /// The default term; a community can override it in its settings.
    public var defaultDeadline: DeadlineRule {
        switch self {
        case .appeal: .months(1)
        case .petition: .workingDays(10)
        case .problemReport, .geoFeedback: .calendarDays(15)
        case .budgetProject: .workingDays(20)
        case .consultationReport: .calendarDays(30)
        }
    }

    /// The latest an extension may set the due date to, in calendar days from registration
    /// (appeals: 45 days in all); `nil` where the term cannot be extended.
    public var maximumTermDays: Int? {
        switch self {
        case .appeal, .problemReport, .geoFeedback: 45
        case .petition, .budgetProject, .consultationReport: nil
        }
    }

    /// Whether anyone may see the document's status and answer. Appeals hold personal matters:
    /// only their author and the staff see them.
    public var isPublic: Bool { self != .appeal }

    public var titleKey: String { "document.kind.\(rawValue)" }
}

/// How urgent a document is; officials sort and filter by it.
public enum DocumentPriority: String, Sendable, CaseIterable, Codable {
    case normal
    case high
    case urgent

    public var titleKey: String { "document.priorities.\(rawValue)" }
}
