import Foundation
import Hummingbird

/// JSON bodies of the API: snake_case keys, ISO 8601 dates.
public enum JSONResponse {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    public static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// A GeoJSON body (`application/geo+json`).
    public static func geoJSON<T: Encodable>(_ value: T) throws -> Response {
        var response = try make(value)
        response.headers[.contentType] = "application/geo+json"
        return response
    }

    /// Decodes a JSON request body of at most 64 KiB; malformed JSON is a 400 problem, a string
    /// that cannot be stored (see ``TextInput``) a 422.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let body = Data(buffer: try await request.collectBody(upTo: 64 * 1024))
        let decoded: T
        do {
            decoded = try decoder.decode(T.self, from: body)
        } catch {
            throw AppError(.badRequest, detailKey: "error.bad_json")
        }
        try TextInput.check(json: body)
        return decoded
    }
}

/// Only paths on this site are followed after sign-in or a language switch (no open redirects).
public func localRedirectTarget(_ candidate: String?, fallback: String = "/") -> String {
    // Browsers drop tabs and line breaks inside URLs, so "/\t/evil.example" would become "//evil.example".
    guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.contains("\\"),
        !candidate.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
    else { return fallback }
    return candidate
}
