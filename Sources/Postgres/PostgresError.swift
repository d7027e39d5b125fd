/// An error reported by PostgreSQL or by libpq.
///
/// Server errors carry the SQLSTATE and the diagnostic fields PostgreSQL sends, so callers can
/// turn, say, a unique violation on a named constraint into a message for the person.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A connection could not be made or was lost; the database may be down.
        case connection
        /// The server rejected a statement.
        case server
        /// No connection became free before the pool's wait timeout.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// A parameter cannot be sent as it is: its text holds a NUL character, which PostgreSQL's
        /// text cannot store and libpq would cut it at. Nothing was sent.
        case invalidParameter
    }

    public var kind: Kind
    /// The five-character SQLSTATE code (`23505` for a unique violation), for server errors.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?

    public init(
        kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, table: String? = nil, column: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
    }

    public var description: String {
        var text = "PostgreSQL \(kind)"
        if let sqlState { text += " \(sqlState)" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        return text
    }

    /// Errors after which running the whole transaction again may succeed.
    public var isRetryableTransactionFailure: Bool {
        sqlState == SQLState.serializationFailure || sqlState == SQLState.deadlockDetected
    }

    /// True when the database could not be reached (as opposed to rejecting a statement).
    public var isUnavailable: Bool {
        kind == .connection || kind == .poolTimeout || sqlState?.hasPrefix("08") == true
            || sqlState == SQLState.adminShutdown || sqlState == SQLState.cannotConnectNow
    }

    public var isUniqueViolation: Bool { sqlState == SQLState.uniqueViolation }
}

/// SQLSTATE codes the application reacts to.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"
    public static let notNullViolation = "23502"
    public static let programLimitExceeded = "54000"
    public static let exclusionViolation = "23P01"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let queryCanceled = "57014"
    public static let adminShutdown = "57P01"
    public static let cannotConnectNow = "57P03"
    public static let raiseException = "P0001"
    public static let insufficientPrivilege = "42501"
}

/// A value in a result could not be turned into the Swift type asked for.
public struct PostgresDecodingError: Error, CustomStringConvertible, Sendable {
    public var column: String
    public var swiftType: String
    public var reason: String

    public var description: String {
        "column \"\(column)\" cannot be decoded as \(swiftType): \(reason)"
    }
}
