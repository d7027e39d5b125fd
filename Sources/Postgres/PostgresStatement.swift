import CLibPQ
import Foundation

/// One parameterised statement: SQL text with `$1`, `$2`, … and the values for them.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [any PostgresEncodable]

    public init(_ sql: String, _ parameters: any PostgresEncodable...) {
        self.init(sql, parameters: parameters)
    }

    public init(_ sql: String, parameters: [any PostgresEncodable]) {
        self.sql = sql
        self.parameters = parameters
    }

    var parameterTypes: [Oid] { parameters.map { Oid(type(of: $0).postgresType.rawValue) } }

    /// Throws ``PostgresError/Kind/invalidParameter`` when a parameter's text holds a NUL: libpq
    /// takes C strings and would silently store only what comes before it.
    func checkParameters() throws {
        for (index, parameter) in parameters.enumerated() where parameter.postgresText?.utf8.contains(0) == true {
            throw PostgresError(kind: .invalidParameter, message: "parameter $\(index + 1) contains a NUL character")
        }
    }

    /// Calls `body` with the parameter count, types and text values as libpq's functions take them,
    /// after ``checkParameters()``.
    func withLibpqParameters<T>(
        _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) throws -> T
    ) throws -> T {
        try checkParameters()
        let texts = parameters.map { $0.postgresText.map { strdup($0) } ?? nil }
        defer { texts.forEach { free($0) } }
        let values = texts.map { $0.map { UnsafePointer($0) } }
        let types = parameterTypes
        return try types.withUnsafeBufferPointer { typeBuffer in
            try values.withUnsafeBufferPointer { valueBuffer in
                try body(Int32(parameters.count), typeBuffer.baseAddress, valueBuffer.baseAddress)
            }
        }
    }
}
