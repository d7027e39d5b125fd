/// The rows a statement returned, copied out of libpq's result.
public struct PostgresResult: Sendable, RandomAccessCollection {
    /// Column names and types, shared by every row.
    public let columns: PostgresColumns
    let cells: [[String?]]
    /// Rows inserted, updated or deleted, as the server reported (`0` where not applicable).
    public let rowsAffected: Int

    init(columns: PostgresColumns, cells: [[String?]], rowsAffected: Int) {
        self.columns = columns
        self.cells = cells
        self.rowsAffected = rowsAffected
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { cells.count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(columns: columns, cells: cells[position]) }
}

public struct PostgresColumns: Sendable {
    public let names: [String]
    public let types: [PostgresType]
    let indexByName: [String: Int]

    init(names: [String], types: [PostgresType]) {
        self.names = names
        self.types = types
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.indexByName = index
    }
}

/// One row of a result; values are decoded by column name or position.
public struct PostgresRow: Sendable {
    public let columns: PostgresColumns
    let cells: [String?]

    /// Decodes the named column. An optional type reads NULL as `nil`; any other type throws on NULL.
    /// The error names the column.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let position = columns.indexByName[column] else {
            throw PostgresDecodingError(column: column, swiftType: "\(T.self)", reason: "no such column in the result")
        }
        return try decode(at: position, as: T.self)
    }

    /// Decodes the column at `position` (zero-based).
    public func decode<T: PostgresDecodable>(at position: Int, as type: T.Type = T.self) throws -> T {
        var name: String { position < columns.names.count ? columns.names[position] : "#\(position)" }
        guard position < cells.count else {
            throw PostgresDecodingError(column: name, swiftType: "\(T.self)", reason: "no such column in the result")
        }
        do {
            guard let text = cells[position] else { return try T.postgresNull() }
            return try T(postgresText: text, type: columns.types[position])
        } catch let error as PostgresValueError {
            throw PostgresDecodingError(column: name, swiftType: "\(T.self)", reason: error.reason)
        }
    }

    /// True when the named column holds NULL.
    public func isNull(_ column: String) -> Bool {
        guard let position = columns.indexByName[column] else { return true }
        return cells[position] == nil
    }
}
