import Foundation
import Hummingbird

/// RFC 4180 CSV for every export: fields quoted when they hold a comma, quote or line break, and
/// text that a spreadsheet would run as a formula neutralised.
struct CSV {
    private var lines: [String]

    init(header: [String]) { lines = [Self.line(header)] }

    mutating func append(_ fields: [String]) { lines.append(Self.line(fields)) }

    /// One line, without its line break.
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            let field = neutralisingFormula(field)
            return field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }

    /// A field that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a
    /// single quote, so spreadsheets show it as text instead of running it (`=HYPERLINK(…)`), as
    /// OWASP advises against CSV injection. A plain number (`-12.5`) is left as it is: a
    /// spreadsheet reads it as the number it is, and a quote would spoil coordinates and amounts.
    static func neutralisingFormula(_ field: String) -> String {
        guard let first = field.utf8.first, formulaStarts.contains(first) else { return field }
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+"), isPlainNumber(field.utf8.dropFirst()) { return field }
        return "'" + field
    }

    private static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D]

    /// Digits with at most one decimal point between them.
    private static func isPlainNumber(_ bytes: Substring.UTF8View) -> Bool {
        var digits = 0
        var points = 0
        for byte in bytes {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
            } else if byte == UInt8(ascii: ".") && digits > 0 {
                points += 1
            } else {
                return false
            }
        }
        return digits > 0 && points <= 1 && bytes.last != UInt8(ascii: ".")
    }

    /// The whole file, for a small export built in memory.
    var bytes: ByteBuffer { ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n") }
}
