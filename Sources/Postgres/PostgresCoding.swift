import Foundation

/// A Swift value that can be sent as a statement parameter.
///
/// Parameters travel in PostgreSQL's text format; `nil` (`postgresText == nil`) is SQL NULL.
public protocol PostgresEncodable: Sendable {
    /// The parameter's type; ``PostgresType/unspecified`` lets the server infer it.
    static var postgresType: PostgresType { get }
    /// The type of a one-dimensional array of this value.
    static var postgresArrayType: PostgresType { get }
    /// The value in PostgreSQL's text input format, or `nil` for NULL.
    var postgresText: String? { get }
}

/// A Swift value that can be read from a result column.
public protocol PostgresDecodable: Sendable {
    /// Reads the value from PostgreSQL's text output format.
    init(postgresText text: String, type: PostgresType) throws
    /// The value for SQL NULL; non-optional types throw.
    static func postgresNull() throws -> Self
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

/// Thrown by ``PostgresDecodable`` conformances; ``PostgresRow`` adds the column name.
public struct PostgresValueError: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

extension PostgresDecodable {
    public static func postgresNull() throws -> Self { throw PostgresValueError("unexpected NULL") }
}

extension PostgresEncodable {
    public static var postgresArrayType: PostgresType { .unspecified }
}

// MARK: - NULL

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public static var postgresArrayType: PostgresType { Wrapped.postgresArrayType }
    public var postgresText: String? { self?.postgresText }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String, type: PostgresType) throws {
        self = try Wrapped(postgresText: text, type: type)
    }
    public static func postgresNull() -> Self { nil }
}

// MARK: - Scalars

extension String: PostgresCodable {
    public static var postgresType: PostgresType { .unspecified }
    public static var postgresArrayType: PostgresType { .textArray }
    public var postgresText: String? { self }
    public init(postgresText text: String, type: PostgresType) { self = text }
}

extension Int: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public static var postgresArrayType: PostgresType { .int8Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String, type: PostgresType) throws {
        guard let value = Int(text) else { throw PostgresValueError("not an integer: \(text.prefix(40))") }
        self = value
    }
}

extension Int64: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public static var postgresArrayType: PostgresType { .int8Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String, type: PostgresType) throws {
        guard let value = Int64(text) else { throw PostgresValueError("not an integer: \(text.prefix(40))") }
        self = value
    }
}

extension Int32: PostgresCodable {
    public static var postgresType: PostgresType { .int4 }
    public static var postgresArrayType: PostgresType { .int4Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String, type: PostgresType) throws {
        guard let value = Int32(text) else { throw PostgresValueError("not a 32-bit integer: \(text.prefix(40))") }
        self = value
    }
}

extension Double: PostgresCodable {
    public static var postgresType: PostgresType { .float8 }
    public static var postgresArrayType: PostgresType { .float8Array }
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
    public init(postgresText text: String, type: PostgresType) throws {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw PostgresValueError("not a number: \(text.prefix(40))") }
            self = value
        }
    }
}

extension Bool: PostgresCodable {
    public static var postgresType: PostgresType { .bool }
    public static var postgresArrayType: PostgresType { .boolArray }
    public var postgresText: String? { self ? "t" : "f" }
    public init(postgresText text: String, type: PostgresType) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresValueError("not a boolean: \(text.prefix(40))")
        }
    }
}

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public static var postgresArrayType: PostgresType { .uuidArray }
    public var postgresText: String? { uuidString.lowercased() }
    public init(postgresText text: String, type: PostgresType) throws {
        guard let value = UUID(uuidString: text) else { throw PostgresValueError("not a UUID: \(text.prefix(40))") }
        self = value
    }
}

/// `bytea`: raw bytes, sent and read in the hex format (`\x0a1b…`).
extension Data: PostgresCodable {
    public static var postgresType: PostgresType { .bytea }
    public static var postgresArrayType: PostgresType { .byteaArray }
    public var postgresText: String? { "\\x" + hexString }
    public init(postgresText text: String, type: PostgresType) throws {
        guard text.hasPrefix("\\x"), let bytes = Data(hex: text.dropFirst(2)) else {
            throw PostgresValueError("not hex-format bytea")
        }
        self = bytes
    }
}

extension Data {
    /// Lower-case hexadecimal digits of the bytes.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hexadecimal digits; `nil` if the text is not an even run of hex digits.
    public init?<S: StringProtocol>(hex: S) {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes)
    }
}

/// A `jsonb` (or `json`) value, kept as its JSON text.
public struct PostgresJSON: PostgresCodable, Equatable {
    public var text: String

    public init(text: String) { self.text = text }

    /// Encodes a value; the default encoder sorts keys, so equal values give equal text.
    public init<T: Encodable>(encoding value: T, encoder: JSONEncoder = PostgresJSON.sortedKeysEncoder) throws {
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(T.self, from: Data(text.utf8))
    }

    public static var sortedKeysEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    public static var postgresType: PostgresType { .jsonb }
    public static var postgresArrayType: PostgresType { .jsonbArray }
    public var postgresText: String? { text }
    public init(postgresText text: String, type: PostgresType) { self.text = text }
}
