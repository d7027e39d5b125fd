import CLibPQ
import Foundation

/// One libpq connection. Every method blocks the calling thread, so the application reaches it
/// only through ``PostgresPool``, which runs these calls on its own thread pool and lends a
/// connection to one task at a time.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Named prepared statements of this connection, by SQL text and parameter types.
    private var preparedStatements: [StatementKey: String] = [:]
    private let preparedStatementLimit: Int

    private struct StatementKey: Hashable {
        var sql: String
        var types: [Oid]
    }

    private init(handle: OpaquePointer, preparedStatementLimit: Int) {
        self.handle = handle
        self.preparedStatementLimit = preparedStatementLimit
    }

    deinit {
        PQfinish(handle)
    }

    /// Opens a connection and sets up the session (UTC, ISO dates, statement timeout). Blocks.
    public static func connect(_ configuration: PostgresConfiguration) throws -> PostgresConnection {
        // The URL comes last so that what it says wins over these defaults.
        let parameters: [(String, String)] = [
            ("connect_timeout", String(configuration.connectTimeoutSeconds)),
            ("application_name", configuration.applicationName),
            ("client_encoding", "UTF8"),
            ("dbname", configuration.url),
        ]
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let handle = PQconnectdbParams(&keywordPointers, &valuePointers, 1) else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
        }
        let connection = PostgresConnection(handle: handle, preparedStatementLimit: configuration.preparedStatementCacheSize)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: connection.lastErrorMessage)
        }
        try connection.execute(
            "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; "
                + "SET client_min_messages = 'warning'; SET statement_timeout = \(max(0, configuration.statementTimeoutMilliseconds))"
        )
        return connection
    }

    /// Runs one parameterised statement and returns its rows. Blocks.
    ///
    /// With `.cached` planning the first run of a statement prepares it under a name, later runs
    /// only bind and execute, so the server parses and plans it once per connection (up to the
    /// configured cache size). `.eachRun` plans it for the values at hand every time, for a
    /// statement whose best plan depends on them (a map view that covers a street or the city).
    /// `.generic` is `.cached` with PostgreSQL's plan for any values, even where it would plan
    /// each run anew (see ``StatementPlanning/generic``).
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable], planning: StatementPlanning = .cached) throws -> PostgresResult {
        let statement = PostgresStatement(sql, parameters: parameters)
        if planning == .generic { return try pipeline([statement], planning: planning)[0] }
        let statementName = planning == .cached ? try preparedStatementName(for: statement) : nil
        return try consume(statement.withLibpqParameters { count, types, values in
            if let statementName { return PQexecPrepared(handle, statementName, count, values, nil, nil, 0) }
            return PQexecParams(handle, sql, count, types, values, nil, nil, 0)
        })
    }

    /// How a statement is planned: once per connection, for each run's values, or once for any values.
    public enum StatementPlanning: Sendable {
        case cached
        case eachRun
        /// Prepared once and always run with the plan for any values. PostgreSQL keeps planning a
        /// statement over an array of keys (`= ANY($1)`) for each run, since the array it sees is
        /// shorter than the ten elements a generic plan assumes; for a look-up by primary key that
        /// planning costs more than the run.
        case generic
    }

    /// Runs `statements` in one round trip (libpq's pipeline mode) and returns each one's rows.
    /// Blocks. Outside a transaction block they form one transaction of their own: committed
    /// together after the last, or all rolled back when one fails, whose error is thrown. Each
    /// statement sees what the ones before it wrote and locked, as in any transaction.
    public func pipeline(_ statements: [PostgresStatement], planning: StatementPlanning = .cached) throws -> [PostgresResult] {
        var sent = statements
        if planning == .generic {
            // Local to this transaction: later statements elsewhere keep PostgreSQL's own choice.
            sent.insert(PostgresStatement("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"), at: 0)
        }
        // Statements are prepared before the pipeline starts, as libpq does not prepare inside one.
        let names = try sent.map { planning == .eachRun ? nil : try preparedStatementName(for: $0) }
        // Checked before the pipeline starts, so a refused parameter leaves the connection as it was.
        for statement in sent { try statement.checkParameters() }
        guard PQenterPipelineMode(handle) == 1 else { throw PostgresError(kind: .connection, message: lastErrorMessage) }
        for (statement, name) in zip(sent, names) {
            let queued = try statement.withLibpqParameters { count, types, values in
                if let name { return PQsendQueryPrepared(handle, name, count, values, nil, nil, 0) }
                return PQsendQueryParams(handle, statement.sql, count, types, values, nil, nil, 0)
            }
            guard queued == 1 else { throw PostgresError(kind: .connection, message: lastErrorMessage) }
        }
        guard PQpipelineSync(handle) == 1 else { throw PostgresError(kind: .connection, message: lastErrorMessage) }
        // Every result is read, even after an error, so the connection leaves pipeline mode idle.
        var results: [PostgresResult] = []
        var failure: PostgresError?
        for _ in sent {
            guard let result = PQgetResult(handle) else { throw PostgresError(kind: .connection, message: lastErrorMessage) }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else {
                do { results.append(try consume(result)) } catch let error as PostgresError { failure = failure ?? error }
            }
            // Each statement's results end with a null.
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        guard let sync = PQgetResult(handle), PQresultStatus(sync) == PGRES_PIPELINE_SYNC else {
            throw PostgresError(kind: .connection, message: lastErrorMessage)
        }
        PQclear(sync)
        guard PQexitPipelineMode(handle) == 1 else { throw PostgresError(kind: .connection, message: lastErrorMessage) }
        if let failure { throw failure }
        return planning == .generic ? Array(results.dropFirst()) : results
    }

    /// The name of the statement prepared for `statement`, preparing it now if needed; `nil` once
    /// the cache is full (the statement then runs unnamed).
    private func preparedStatementName(for statement: PostgresStatement) throws -> String? {
        let key = StatementKey(sql: statement.sql, types: statement.parameterTypes)
        if let name = preparedStatements[key] { return name }
        guard preparedStatements.count < preparedStatementLimit else { return nil }
        let name = "hromada_\(preparedStatements.count + 1)"
        let result = key.types.withUnsafeBufferPointer { typeBuffer in
            PQprepare(handle, name, statement.sql, Int32(key.types.count), typeBuffer.baseAddress)
        }
        _ = try consume(result)
        preparedStatements[key] = name
        return name
    }

    /// Runs SQL text that takes no parameters and may hold several statements, such as a
    /// migration file. Blocks. Never pass text built from user input.
    @discardableResult
    public func execute(_ sql: String) throws -> PostgresResult {
        try consume(PQexec(handle, sql))
    }

    /// Whether the connection is still usable: drains anything the server sent while it sat idle
    /// (a termination notice, say) without blocking, then asks libpq. Never blocks.
    public var isHealthy: Bool {
        guard PQstatus(handle) == CONNECTION_OK else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        // A terminated backend first sends its farewell message, then closes: keep reading while
        // there is something to read, so the closed socket is noticed too.
        var reads = 0
        while reads < 8, poll(&descriptor, 1, 0) > 0 {
            if PQconsumeInput(handle) == 0 { return false }
            drainNotifications()
            reads += 1
        }
        // A pipeline that failed half-way leaves the connection in pipeline mode: not reusable.
        return PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
            && PQpipelineStatus(handle) == PQ_PIPELINE_OFF
    }

    /// Quotes an identifier (a channel name, say) for use in SQL text.
    public func quoteIdentifier(_ identifier: String) throws -> String {
        guard let quoted = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            throw PostgresError(kind: .server, message: lastErrorMessage)
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// libpq's view of the connection's transaction: idle, in a block, in a failed block.
    var transactionStatus: PGTransactionStatusType { PQtransactionStatus(handle) }

    // MARK: - Notifications

    /// Waits up to `timeoutMilliseconds` for notifications on channels this connection listens to.
    /// Blocks. Throws when the connection is lost.
    func waitForNotifications(timeoutMilliseconds: Int32) throws -> [PostgresNotification] {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready > 0, PQconsumeInput(handle) == 0 {
            throw PostgresError(kind: .connection, message: lastErrorMessage)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: lastErrorMessage)
        }
        return drainNotifications()
    }

    @discardableResult
    private func drainNotifications() -> [PostgresNotification] {
        var notifications: [PostgresNotification] = []
        while let notification = PQnotifies(handle) {
            notifications.append(
                PostgresNotification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra),
                    processID: Int(notification.pointee.be_pid)
                )
            )
            PQfreemem(notification)
        }
        return notifications
    }

    // MARK: - Results and errors

    private var lastErrorMessage: String {
        guard let message = PQerrorMessage(handle) else { return "unknown libpq error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "connection lost" : text
    }

    private func consume(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, message: lastErrorMessage)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY else {
            throw error(from: result)
        }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var names: [String] = []
        var types: [PostgresType] = []
        names.reserveCapacity(columnCount)
        for column in 0..<Int32(columnCount) {
            names.append(String(cString: PQfname(result, column)))
            types.append(PostgresType(rawValue: UInt32(PQftype(result, column))))
        }
        var cells: [[String?]] = []
        cells.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
            cells.append(values)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: PostgresColumns(names: names, types: types), cells: cells, rowsAffected: affected)
    }

    private func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        guard let sqlState = field("C") else {
            return PostgresError(kind: .connection, message: lastErrorMessage)
        }
        return PostgresError(
            kind: .server, message: field("M") ?? lastErrorMessage, sqlState: sqlState, detail: field("D"),
            hint: field("H"), constraint: field("n"), table: field("t"), column: field("c")
        )
    }
}

/// A message delivered by `NOTIFY` (or `pg_notify`).
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var processID: Int
}
