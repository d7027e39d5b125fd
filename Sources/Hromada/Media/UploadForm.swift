import Hummingbird

/// A file from a `multipart/form-data` body.
public struct UploadedFile: Sendable {
    public var field: String
    public var filename: String
    public var bytes: [UInt8]
}

/// A form that may carry files: `multipart/form-data` (RFC 7578), or URL-encoded without files.
public struct UploadForm: Sendable {
    public var fields: FormData
    public var files: [UploadedFile]

    /// The largest body taken: five photos of 10 MB and the text around them.
    public static let maximumBodyBytes = 52 * 1024 * 1024

    public static func from(_ request: Request) async throws -> UploadForm {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            return UploadForm(fields: try await FormData.from(request), files: [])
        }
        var request = request
        let form = try multipart(try await request.collectBody(upTo: maximumBodyBytes), contentType: contentType)
        try TextInput.check(form.fields.values)
        return form
    }

    /// Parses a collected multipart body; a malformed one is a 400 problem.
    static func multipart(_ body: ByteBuffer, contentType: String) throws -> UploadForm {
        // Parsed where the body lies: each part is copied once, the whole body never.
        guard let boundary = boundary(of: contentType), let form = body.withUnsafeReadableBytes({ parse($0, boundary: boundary) }) else {
            throw AppError(.badRequest, detailKey: "error.bad_form")
        }
        return form
    }

    /// The `boundary` parameter of a multipart content type, unquoted.
    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
            return (1...70).contains(value.count) ? value : nil
        }
        return nil
    }

    /// Splits the body at the boundary; `nil` when it does not follow the format.
    static func parse(_ body: [UInt8], boundary: String) -> UploadForm? {
        body.withUnsafeBytes { parse($0, boundary: boundary) }
    }

    static func parse(_ body: UnsafeRawBufferPointer, boundary: String) -> UploadForm? {
        let delimiter = Array("--\(boundary)".utf8)
        let separator = [UInt8(ascii: "\r"), UInt8(ascii: "\n")] + delimiter
        guard body.starts(with: delimiter) else { return nil }
        var values: [String: String] = [:]
        var files: [UploadedFile] = []
        var index = delimiter.count
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            guard index + 2 <= body.count else { return nil }
            if body[index] == UInt8(ascii: "-") && body[index + 1] == UInt8(ascii: "-") { break }
            guard body[index] == 13 && body[index + 1] == 10 else { return nil }
            index += 2
            guard let headersEnd = find([13, 10, 13, 10], in: body, from: index),
                  let partEnd = find(separator, in: body, from: headersEnd + 4) else { return nil }
            let headers = String(decoding: body[index..<headersEnd], as: UTF8.self)
            let content = Array(body[headersEnd + 4..<partEnd])
            index = partEnd + separator.count
            guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }),
                  let name = parameter("name", in: disposition) else { return nil }
            if let filename = parameter("filename", in: disposition) {
                if !filename.isEmpty || !content.isEmpty { files.append(UploadedFile(field: name, filename: filename, bytes: content)) }
            } else {
                values[name] = String(decoding: content, as: UTF8.self)
            }
        }
        return UploadForm(fields: FormData(values: values), files: files)
    }

    static func parameter(_ name: String, in header: Substring) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
