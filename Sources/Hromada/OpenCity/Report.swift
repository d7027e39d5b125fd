import Foundation
import Postgres

/// An Open City problem report.
public struct Report: Sendable {
    public var id: Int
    public var communityID: Int
    public var categoryID: Int
    public var authorID: Int?
    public var reporterName: String
    public var location: GeoPoint
    public var address: String
    public var description: String
    public var attributes: [String: String]
    public var status: ReportStatus
    public var statusNotes: String?
    public var mergedInto: Int?
    public var reopened: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    /// "Me too" from other residents.
    public var supporters: Int
    /// The geoportal object the report is about, if linked.
    public var gisObjectID: Int?
}

public enum ReportStatus: String, Sendable, CaseIterable, Codable {
    case new
    case accepted
    case inProgress = "in_progress"
    case resolved
    case rejected
    case notResolved = "not_resolved"

    public var titleKey: String { "report.status.\(rawValue)" }

    /// Open311 knows two states: open while someone still has to act, closed otherwise.
    public var isOpen: Bool { [.new, .accepted, .inProgress].contains(self) }
    public var open311Status: String { isOpen ? "open" : "closed" }
}

/// What moves a report from one status to another.
public enum ReportEvent: String, Sendable, CaseIterable {
    /// A moderator accepts it; it is registered in the workflow.
    case accept
    /// A moderator rejects it, or merges it into another report as a duplicate.
    case reject
    /// The department took it up.
    case startWork = "start_work"
    /// The official answer: resolved, or not resolved with the reason.
    case resolve
    case fail
    /// The reporter says it is not fixed, within 30 days of the answer.
    case reopen
}

/// The report lifecycle as plain values, tested without a database.
public enum ReportLifecycle {
    /// Days after being resolved during which the reporter may reopen a report.
    public static let reopenDays = 30
    /// Open reports of the same category within this distance are offered before a new one is filed.
    public static let duplicateRadiusMetres = 50.0

    public static func status(after event: ReportEvent, from status: ReportStatus) -> ReportStatus? {
        switch (event, status) {
        case (.accept, .new): .accepted
        case (.reject, .new), (.reject, .accepted): .rejected
        case (.startWork, .accepted): .inProgress
        case (.resolve, .accepted), (.resolve, .inProgress): .resolved
        case (.fail, .accepted), (.fail, .inProgress): .notResolved
        case (.reopen, .resolved): .accepted
        default: nil
        }
    }

    /// Whether the reporter may still reopen a report resolved at `resolvedAt`.
    public static func mayReopen(_ report: Report, by personID: Int, now: Date) -> Bool {
        guard report.status == .resolved, report.authorID == personID, let resolvedAt = report.resolvedAt else { return false }
        return now.timeIntervalSince(resolvedAt) <= Double(reopenDays) * 86_400
    }
}

/// What a resident (or an Open311 client) sends; checked by ``errors(categories:)``.
public struct ReportDraft: Sendable {
    public var categoryID: Int?
    public var location: GeoPoint?
    public var address: String
    public var description: String
    public var attributes: [String: String]

    public init(categoryID: Int?, location: GeoPoint?, address: String, description: String, attributes: [String: String] = [:]) {
        self.categoryID = categoryID
        self.location = location
        self.address = address
        self.description = description
        self.attributes = attributes
    }

    /// Field errors (catalogue keys); empty when acceptable.
    public func errors(categories: [ReportCategory]) -> [String: String] {
        var errors: [String: String] = [:]
        let category = categories.first { $0.id == categoryID && $0.isActive }
        if category == nil { errors["category"] = "report.error.category" }
        if location == nil { errors["location"] = "report.error.location" }
        if address.count > 300 { errors["address"] = "report.error.address" }
        if description.count < 10 || description.count > 5000 { errors["description"] = "report.error.description" }
        if let category {
            for attribute in category.attributes {
                let value = attributes[attribute.code] ?? ""
                if value.isEmpty {
                    if attribute.required { errors["attribute_\(attribute.code)"] = "report.error.attribute" }
                } else if !attribute.accepts(value) {
                    errors["attribute_\(attribute.code)"] = "report.error.attribute"
                }
            }
        }
        return errors
    }
}

/// A kind of problem people report, routed to a department (an Open311 service).
public struct ReportCategory: Sendable, Equatable {
    public var id: Int
    public var communityID: Int
    /// The Open311 service_code.
    public var code: String
    public var nameUK: String
    public var nameEN: String
    public var descriptionUK: String
    public var descriptionEN: String
    public var departmentID: Int
    public var responseDays: Int
    public var attributes: [ServiceAttribute]
    public var isActive: Bool

    public func name(_ language: Language) -> String { language == .en ? nameEN : nameUK }
    public func description(_ language: Language) -> String { language == .en ? descriptionEN : descriptionUK }
}

/// An extra question of a category (an Open311 service attribute).
public struct ServiceAttribute: Sendable, Equatable, Codable {
    public struct Value: Sendable, Equatable, Codable {
        public var key: String
        public var nameUK: String
        public var nameEN: String

        enum CodingKeys: String, CodingKey {
            case key, nameUK = "name_uk", nameEN = "name_en"
        }
    }

    public var code: String
    /// string, number, text, singlevaluelist.
    public var datatype: String
    public var required: Bool
    public var descriptionUK: String
    public var descriptionEN: String
    public var values: [Value]

    enum CodingKeys: String, CodingKey {
        case code, datatype, required, values, descriptionUK = "description_uk", descriptionEN = "description_en"
    }

    public func accepts(_ value: String) -> Bool {
        switch datatype {
        case "number": Double(value) != nil
        case "singlevaluelist": values.contains { $0.key == value }
        default: value.count <= 1000
        }
    }
}
