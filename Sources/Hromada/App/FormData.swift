import Foundation
import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` body (or query string).
public struct FormData: Sendable {
    public private(set) var values: [String: String] = [:]

    public init(values: [String: String]) {
        self.values = values
    }

    public init(urlEncoded text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            values[name] = parts.count > 1 ? (Self.decode(parts[1]) ?? "") : ""
        }
    }

    /// Reads a form body of at most 64 KiB; a field whose text cannot be stored (see
    /// ``TextInput``) refuses the whole form with a 422 naming it.
    public static func from(_ request: Request) async throws -> FormData {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        let form = FormData(urlEncoded: String(buffer: buffer))
        try TextInput.check(form.values)
        return form
    }

    /// The field's value with surrounding white space removed ("" when absent).
    public subscript(_ name: String) -> String {
        values[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// The field exactly as sent (passwords keep their spaces).
    public func raw(_ name: String) -> String { values[name] ?? "" }

    private static func decode(_ component: Substring) -> String? {
        component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
