import Foundation
import Hummingbird

/// An Open311 GeoReport v2 response body, written as JSON or as XML from the same records.
///
/// The specification names every element: a list of records (`services`/`service`,
/// `service_requests`/`request`, `errors`/`error`), each record an ordered list of fields, and a
/// field either text, a number, a flag or a nested list (a service definition's attributes).
struct Open311Document {
    indirect enum Field {
        case text(String?)
        case number(Double)
        case integer(Int)
        case flag(Bool)
        case list(outer: String, inner: String, records: [Record])
    }

    typealias Record = [(name: String, value: Field)]

    enum Format: String {
        case json, xml

        /// Splits `requests.json` into its name and format; `nil` for another extension.
        static func split(_ file: String) -> (name: String, format: Format)? {
            guard let dot = file.lastIndex(of: "."), let format = Format(rawValue: String(file[file.index(after: dot)...])) else { return nil }
            return (String(file[..<dot]), format)
        }
    }

    /// The outer and record element names in XML; JSON is an array of objects (or, for a
    /// service definition, one object).
    var outer: String
    var inner: String
    var records: [Record]
    /// A service definition is a single object, not an array.
    var single = false

    func response(_ format: Format, status: HTTPResponse.Status = .ok) -> Response {
        switch format {
        case .json:
            let value: Any = single ? Self.jsonObject(records.first ?? []) : records.map(Self.jsonObject)
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("[]".utf8)
            return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .xml:
            var xml = #"<?xml version="1.0" encoding="utf-8"?>"#
            if single, let record = records.first {
                xml += "<\(outer)>" + Self.xmlFields(record) + "</\(outer)>"
            } else {
                xml += "<\(outer)>" + records.map { "<\(inner)>" + Self.xmlFields($0) + "</\(inner)>" }.joined() + "</\(outer)>"
            }
            return Response(status: status, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
        }
    }

    /// An error body in the specification's format: `[{"code", "description"}]`.
    static func error(_ status: HTTPResponse.Status, _ description: String, format: Format) -> Response {
        Open311Document(outer: "errors", inner: "error", records: [[("code", .integer(status.code)), ("description", .text(description))]])
            .response(format, status: status)
    }

    private static func jsonObject(_ record: Record) -> [String: Any] {
        var object: [String: Any] = [:]
        for (name, value) in record {
            switch value {
            case .text(let text): object[name] = text ?? NSNull()
            case .number(let number): object[name] = number
            case .integer(let number): object[name] = number
            case .flag(let flag): object[name] = flag
            case .list(_, _, let records): object[name] = records.map(jsonObject)
            }
        }
        return object
    }

    private static func xmlFields(_ record: Record) -> String {
        record.map { name, value in
            switch value {
            case .text(let text): "<\(name)>\(escape(text ?? ""))</\(name)>"
            case .number(let number): "<\(name)>\(number)</\(name)>"
            case .integer(let number): "<\(name)>\(number)</\(name)>"
            case .flag(let flag): "<\(name)>\(flag)</\(name)>"
            case .list(let outer, let inner, let records):
                "<\(outer)>" + records.map { "<\(inner)>" + xmlFields($0) + "</\(inner)>" }.joined() + "</\(outer)>"
            }
        }.joined()
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            // Characters XML 1.0 cannot carry are dropped.
            case _ where character.value < 0x20 && ![0x09, 0x0A, 0x0D].contains(character.value): continue
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
