import Foundation
import Postgres

/// A register (layer) of GIS objects kept by a department.
public struct GISRegister: Sendable {
    public var id: Int
    public var communityID: Int
    public var code: String
    public var nameUK: String
    public var nameEN: String
    public var description: String
    public var departmentID: Int
    public var geometryType: GeometryType
    public var schema: [AttributeField]
    /// Open City category codes offered on the feedback form of its objects.
    public var feedbackCategories: [String]
    public var isPublic: Bool
    public var color: String

    public func name(_ language: Language) -> String { language == .en ? nameEN : nameUK }
}

public enum GeometryType: String, Sendable, CaseIterable, Codable {
    case point, line, polygon

    /// The PostGIS geometry types a register of this kind holds.
    public var postgisTypes: [String] {
        switch self {
        case .point: ["POINT", "MULTIPOINT"]
        case .line: ["LINESTRING", "MULTILINESTRING"]
        case .polygon: ["POLYGON", "MULTIPOLYGON"]
        }
    }

    /// The GeoJSON geometry types a register of this kind takes.
    public var geoJSONTypes: [String] {
        switch self {
        case .point: ["Point", "MultiPoint"]
        case .line: ["LineString", "MultiLineString"]
        case .polygon: ["Polygon", "MultiPolygon"]
        }
    }
}

/// One attribute of a register's schema.
public struct AttributeField: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case text, integer, number, boolean, date
    }

    public var name: String
    public var type: Kind
    public var labelUK: String
    public var labelEN: String
    public var required: Bool

    enum CodingKeys: String, CodingKey {
        case name, type, required, labelUK = "label_uk", labelEN = "label_en"
    }

    /// `required` may be left out of a stored schema: it then is false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(Kind.self, forKey: .type)
        labelUK = try container.decodeIfPresent(String.self, forKey: .labelUK) ?? name
        labelEN = try container.decodeIfPresent(String.self, forKey: .labelEN) ?? name
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
    }

    public init(name: String, type: Kind, labelUK: String, labelEN: String, required: Bool = false) {
        self.name = name
        self.type = type
        self.labelUK = labelUK
        self.labelEN = labelEN
        self.required = required
    }

    public func label(_ language: Language) -> String { language == .en ? labelEN : labelUK }

    /// Reads a schema typed a field per line, `name:type:label uk:label en`, with `:required` at
    /// the end for a required field; `nil` when a line does not follow it.
    public static func parse(_ text: String) -> [AttributeField]? {
        var fields: [AttributeField] = []
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty {
            let parts = line.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard (4...5).contains(parts.count), let kind = Kind(rawValue: parts[1]), !parts[2].isEmpty, !parts[3].isEmpty,
                  parts.count == 4 || parts[4] == "required" else { return nil }
            fields.append(AttributeField(name: parts[0], type: kind, labelUK: parts[2], labelEN: parts[3], required: parts.count == 5))
        }
        return fields
    }

    /// The text ``parse(_:)`` reads back.
    public static func text(of fields: [AttributeField]) -> String {
        fields.map { "\($0.name):\($0.type.rawValue):\($0.labelUK):\($0.labelEN)" + ($0.required ? ":required" : "") }.joined(separator: "\n")
    }
}

/// Checks attributes against a register's schema, as plain values.
public enum AttributeSchema {
    /// The attributes the schema knows, converted to their types (a CSV's text "12" becomes the
    /// number 12), or why they do not fit: `name: expected integer`. Unknown names are dropped.
    public static func validate(_ values: [String: JSONValue], against schema: [AttributeField]) -> Result<[String: AttributeValue], SchemaError> {
        var clean: [String: AttributeValue] = [:]
        for field in schema {
            guard let raw = values[field.name], raw != .null, raw != .string("") else {
                if field.required { return .failure(SchemaError(field: field.name, problem: "required")) }
                continue
            }
            guard let value = convert(raw, to: field.type) else { return .failure(SchemaError(field: field.name, problem: "expected \(field.type.rawValue)")) }
            clean[field.name] = value
        }
        return .success(clean)
    }

    static func convert(_ raw: JSONValue, to kind: AttributeField.Kind) -> AttributeValue? {
        switch (kind, raw) {
        case (.text, .string(let text)): text.count <= 2000 ? .text(text) : nil
        case (.text, .number(let number)): .text(number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number))
        case (.integer, .number(let number)): number == number.rounded() && abs(number) < 1e15 ? .integer(Int(number)) : nil
        case (.integer, .string(let text)): Int(text.trimmingCharacters(in: .whitespaces)).map(AttributeValue.integer)
        case (.number, .number(let number)): .number(number)
        case (.number, .string(let text)):
            Double(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")).flatMap { $0.isFinite ? .number($0) : nil }
        case (.boolean, .bool(let flag)): .boolean(flag)
        case (.boolean, .string(let text)):
            ["true", "так", "yes", "1"].contains(text.lowercased()) ? .boolean(true) : ["false", "ні", "no", "0"].contains(text.lowercased()) ? .boolean(false) : nil
        case (.date, .string(let text)): CalendarDay(iso: text) != nil ? .text(text) : nil
        default: nil
        }
    }

    public struct SchemaError: Error, Equatable {
        public var field: String
        public var problem: String
        public var description: String { "\(field): \(problem)" }
    }
}

/// An attribute value, stored as JSON.
public enum AttributeValue: Sendable, Equatable, Codable {
    case text(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { self = .boolean(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else { self = .text(try container.decode(String.self)) }
    }

    /// The value as a form field holds it.
    public var editable: String {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .boolean(let value): value ? "true" : "false"
        }
    }

    public var display: String {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .boolean(let value): value ? "✓" : "✗"
        }
    }
}

/// Any JSON value, as GeoJSON properties and geometries hold them.
public indirect enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
