import Foundation
import HTTPTypes
import Hummingbird
import Postgres

/// How every open-data file is served.
///
/// A large export streams: its rows come from a server-side cursor
/// (``PostgresSession/forEachBatch(_:parameters:rowsPerBatch:_:)``) on ``AppServices/exports``,
/// a small pool of its own over the read replica, and each batch is encoded and written to the
/// response before the next is fetched. Memory then holds one batch whatever the file's size, a
/// client that reads slowly slows only its own query, and at most `HROMADA_EXPORT_CONNECTIONS`
/// exports read at once, so signing and voting keep the main pool. When more than
/// ``queuedExportsPerConnection`` downloads per export connection already wait, the next is
/// answered 503 with `Retry-After`.
///
/// Every export carries an `ETag`: a streamed one's tag hashes the URL with the dataset's version
/// (a cheap query over counts and the latest ids and times), a small one built in memory hashes
/// its bytes. A request whose `If-None-Match` holds the tag is answered 304 without a body, and
/// without touching the rows. How long caches keep a file is ``HTTPCachePolicy``'s
/// (``Freshness/download``).
struct OpenDataExport: Sendable {
    let services: AppServices

    static let rowsPerBatch = 1_000
    static let queuedExportsPerConnection = 4

    /// The framing of a file whose rows are written one after another.
    struct Format: Sendable {
        var contentType: String
        var opening: String
        var separator: String
        var closing: String

        /// CSV with its header line; each row is a line (see ``OpenDataExport/csvLine(_:)``).
        static func csv(header: [String]) -> Format {
            Format(contentType: csvContentType, opening: csvLine(header), separator: "", closing: "")
        }

        /// A JSON array of the rows (see ``OpenDataExport/json(_:)``).
        static let jsonArray = Format(contentType: "application/json; charset=utf-8", opening: "[", separator: ",", closing: "]")
        /// A GeoJSON FeatureCollection whose features are the rows.
        static let geoJSONFeatures = Format(
            contentType: "application/geo+json", opening: #"{"type":"FeatureCollection","features":["#, separator: ",", closing: "]}")
    }

    static let csvContentType = "text/csv; charset=utf-8"

    /// One CSV row with its line break, formulas neutralised.
    static func csvLine(_ fields: [String]) -> String { CSV.line(fields) + "\r\n" }

    /// A value as the API writes JSON: snake_case keys, ISO 8601 dates.
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONResponse.encoder.encode(value), as: UTF8.self)
    }

    /// Streams the rows of `rows`, each written by `encode`, framed by `format`.
    ///
    /// - Parameters:
    ///   - version: a statement whose one row's `version` column changes whenever the file would;
    ///     it may cover more than the file (a community's whole dataset for a filtered export).
    ///   - filename: given, the file is offered for download under this name.
    func streamed(
        _ request: Request, format: Format, filename: String? = nil, version: PostgresStatement, rows: PostgresStatement,
        encode: @escaping @Sendable (PostgresRow) throws -> String
    ) async throws -> Response {
        let datasetVersion: String = try await services.replica.query(version.sql, parameters: version.parameters)[0].decode("version")
        let tag = EntityTag.of(Array("\(request.uri.path)?\(request.uri.query ?? "")\n\(datasetVersion)".utf8))
        let headers = Self.headers(contentType: format.contentType, filename: filename, tag: tag)
        if EntityTag.matches(request, tag: tag) { return EntityTag.notModified(headers) }
        let exports = services.exports
        guard exports.statistics.waiting < exports.size * Self.queuedExportsPerConnection else {
            throw AppError(.unavailable, detailKey: "open_data.error.busy")
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await exports.withConnection { session in
                var chunk = ByteBuffer(string: format.opening)
                var isFirst = true
                try await session.forEachBatch(rows.sql, parameters: rows.parameters, rowsPerBatch: Self.rowsPerBatch) { batch in
                    for row in batch {
                        if !isFirst { chunk.writeString(format.separator) }
                        isFirst = false
                        chunk.writeString(try encode(row))
                    }
                    try await writer.write(chunk)
                    chunk.clear()
                }
                chunk.writeString(format.closing)
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        })
    }

    /// A small file built in memory, tagged by its bytes.
    func inMemory(_ request: Request, contentType: String, filename: String? = nil, body: ByteBuffer) -> Response {
        let tag = EntityTag.of(body.readableBytesView)
        let headers = Self.headers(contentType: contentType, filename: filename, tag: tag)
        if EntityTag.matches(request, tag: tag) { return EntityTag.notModified(headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// A small CSV file built in memory.
    func inMemory(_ request: Request, csv: CSV, filename: String) -> Response {
        inMemory(request, contentType: Self.csvContentType, filename: filename, body: csv.bytes)
    }

    /// A small JSON document built in memory.
    func inMemory(_ request: Request, json value: some Encodable, contentType: String = "application/json; charset=utf-8") throws -> Response {
        inMemory(request, contentType: contentType, body: ByteBuffer(bytes: try JSONResponse.encoder.encode(value)))
    }

    private static func headers(contentType: String, filename: String?, tag: String) -> HTTPFields {
        var headers: HTTPFields = [.contentType: contentType, .eTag: tag]
        if let filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
        return headers
    }
}
