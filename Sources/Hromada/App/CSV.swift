import Hummingbird

/// RFC 4180 CSV: fields quoted when they hold a comma, quote or line break.
struct CSV {
    private var lines: [String]

    init(header: [String]) { lines = [Self.line(header)] }

    mutating func append(_ fields: [String]) { lines.append(Self.line(fields)) }

    static func line(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",")
    }

    func response(filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }
}
