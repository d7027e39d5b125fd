/// One-dimensional arrays of any codable element, in PostgreSQL's array literal syntax
/// (`{1,2,NULL}`, `{"a b","c\"d"}`).
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public var postgresText: String? {
        var literal = "{"
        for (index, element) in enumerated() {
            if index > 0 { literal += "," }
            guard let text = element.postgresText else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in text {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.append(character)
            }
            literal += "\""
        }
        return literal + "}"
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

        var elements: [String?] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var escaping = false
        for character in characters {
            if escaping {
                current.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if character == "," && !quoted {
                elements.append(wasQuoted || current != "NULL" ? current : nil)
                current = ""
                wasQuoted = false
            } else {
                current.append(character)
            }
        }
        elements.append(wasQuoted || current != "NULL" ? current : nil)
        return elements
    }
}
