import Foundation

/// What text a person may send in a form or an API body.
///
/// PostgreSQL's text cannot hold NUL, and other control characters only hide text or break the
/// places that quote it (an e-mail subject, a CSV cell, a log line), so they are refused with a
/// message, never dropped silently. Tabs and line breaks stay allowed where a text may have
/// several lines; the fields that are one line wherever they appear refuse line breaks too.
enum TextInput {
    /// Fields that are one line in every form and API body: titles, names, subjects, e-mail
    /// addresses, street addresses, and the short codes and choices the forms send.
    static let singleLineFields: Set<String> = [
        "title", "subject", "name", "full_name", "name_uk", "name_en", "email", "address", "topic", "code", "category",
        "department", "document_number", "document_type", "birth_date", "role", "status", "outcome", "action", "decision",
        "color", "network", "domain", "heading", "jurisdiction_id", "service_code", "first_name", "last_name", "phone",
        "api_key", "device_id", "account_id", "lat", "long", "latitude", "longitude", "voter_token", "receipt",
    ]

    /// The catalogue key of what is wrong with `text`, or `nil` when it may be stored.
    static func refusal(_ text: String, singleLine: Bool) -> String? {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\t": continue
            case "\n", "\r", "\u{2028}", "\u{2029}": if singleLine { return "error.line_breaks" }
            default: if scalar.properties.generalCategory == .control { return "error.control_characters" }
            }
        }
        return nil
    }

    /// The refusal of field `name`'s value, if any.
    static func refusal(field name: String, _ text: String) -> String? {
        refusal(text, singleLine: singleLineFields.contains(name))
    }

    /// A 422 naming every field whose text is refused, or nothing when all may be stored.
    static func check(_ fields: [String: String]) throws {
        var errors: [String: String] = [:]
        for (name, value) in fields {
            if let key = refusal(field: name, value) { errors[name] = key }
        }
        guard let detail = errors.values.sorted().first else { return }
        throw AppError(.validation, detailKey: detail, fieldErrors: errors)
    }

    /// The same for every string of a JSON body; a string is named by its nearest key.
    static func check(json: Data) throws {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: json) else { return }
        var errors: [String: String] = [:]
        func visit(_ value: JSONValue, key: String) {
            switch value {
            case .string(let text): if let refusal = refusal(field: key, text) { errors[key] = refusal }
            case .object(let object): for (name, member) in object { visit(member, key: name) }
            case .array(let array): for element in array { visit(element, key: key) }
            case .null, .bool, .number: break
            }
        }
        visit(value, key: "")
        guard let detail = errors.values.sorted().first else { return }
        throw AppError(.validation, detailKey: detail, fieldErrors: errors)
    }
}
