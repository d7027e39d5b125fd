import Foundation

/// An appeal to the council: a resident writes, the workflow registers it and routes it by topic.
public struct Appeal: Sendable {
    public var id: Int
    public var communityID: Int
    public var authorID: Int
    public var topic: AppealTopic
    public var subject: String
    public var body: String
    public var address: String?
    public var createdAt: Date
}

/// What an appeal is about; routing rules send each topic to a department.
public enum AppealTopic: String, Sendable, CaseIterable, Codable {
    case streetLighting = "street_lighting"
    case roads
    case housing
    case ecology
    case land
    case architecture
    case other

    public var titleKey: String { "appeal.topics.\(rawValue)" }
}

/// Checks on what the resident typed; each failure is a catalogue key per field.
public enum AppealRules {
    public static let maximumSubjectLength = 200
    public static let maximumBodyLength = 10_000
    public static let maximumAddressLength = 300

    public static func errors(subject: String, body: String, address: String, topic: String) -> [String: String] {
        var errors: [String: String] = [:]
        if AppealTopic(rawValue: topic) == nil { errors["topic"] = "appeal.error.topic" }
        if subject.isEmpty || subject.count > maximumSubjectLength { errors["subject"] = "appeal.error.subject" }
        if body.count < 10 || body.count > maximumBodyLength { errors["body"] = "appeal.error.body" }
        if address.count > maximumAddressLength { errors["address"] = "appeal.error.address" }
        return errors
    }
}
