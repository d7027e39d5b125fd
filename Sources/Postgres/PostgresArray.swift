/// One-dimensional arrays of any codable element, in PostgreSQL's array literal syntax
/// (`{1,2,NULL}`, `{"a b","c\"d"}`).
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public var postgresText: String? {
        // Built as bytes: appending to a String character by character costs more than the values.
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(count * 12 + 2)
        for element in self {
            if literal.count > 1 { literal.append(UInt8(ascii: ",")) }
            guard let text = element.postgresText else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            literal.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                literal.append(byte)
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init(postgresText text: String, type: PostgresType) throws {
        self = try PostgresArrayLiteral.elements(of: text).map { element in
            guard let element else { return try Element.postgresNull() }
            return try Element(postgresText: element, type: .unspecified)
        }
    }
}

enum PostgresArrayLiteral {
    /// Splits a one-dimensional array literal into its elements (`nil` for NULL).
    static func elements(of literal: String) throws -> [String?] {
        var characters = Substring(literal)
        // An array with explicit bounds starts with "[1:3]={…}".
        if characters.first == "[", let equals = characters.firstIndex(of: "=") {
            characters = characters[characters.index(after: equals)...]
        }
        guard characters.first == "{", characters.last == "}" else {
            throw PostgresValueError("not an array literal")
        }
        characters = characters.dropFirst().dropLast()
        if characters.isEmpty { return [] }
        if characters.first == "{" { throw PostgresValueError("multi-dimensional arrays are not supported") }

        // Byte by byte: every delimiter is ASCII, so no UTF-8 sequence is split.
        var elements: [String?] = []
        var current: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        var escaping = false
        func finish() {
            let text = String(decoding: current, as: UTF8.self)
            elements.append(wasQuoted || text != "NULL" ? text : nil)
        }
        for byte in characters.utf8 {
            if escaping {
                current.append(byte)
                escaping = false
            } else if byte == UInt8(ascii: "\\") {
                escaping = true
            } else if byte == UInt8(ascii: "\"") {
                quoted.toggle()
                wasQuoted = true
            } else if byte == UInt8(ascii: ",") && !quoted {
                finish()
                current.removeAll(keepingCapacity: true)
                wasQuoted = false
            } else {
                current.append(byte)
            }
        }
        finish()
        return elements
    }
}
