import CLibPQ

extension PostgresConnection {
    /// Whether a transaction block is open (or failed and not yet rolled back) on this connection.
    var isInTransactionBlock: Bool { transactionStatus != PQTRANS_IDLE }
}

extension PostgresSession {
    /// Runs a query through a server-side cursor and hands its rows to `body` in order, in batches
    /// of at most `rowsPerBatch`, so memory holds one batch whatever the row count.
    ///
    /// The next batch is fetched only once `body` has returned: a slow consumer (a client reading
    /// a download slowly) slows the query instead of piling rows up. Each `FETCH` is a statement
    /// of its own, so the statement timeout bounds one batch, not the whole download. The cursor
    /// lives in a read-only transaction this call opens, or in the caller's transaction block when
    /// one is open. When `body` throws (the client went away) or a batch fails, the cursor and
    /// its transaction are closed and the connection goes back to the pool idle, and the error is
    /// rethrown. Returns how many rows were handed over.
    @discardableResult
    public func forEachBatch(
        _ sql: String, parameters: [any PostgresEncodable] = [], rowsPerBatch: Int = 1_000,
        _ body: (PostgresResult) async throws -> Void
    ) async throws -> Int {
        precondition(rowsPerBatch > 0, "a batch holds at least one row")
        let ownsTransaction = !connection.isInTransactionBlock
        if ownsTransaction {
            // A cursor is planned for its first rows unless told it will be read to the end.
            try await execute("BEGIN READ ONLY; SET LOCAL cursor_tuple_fraction = 1")
        }
        do {
            try await query("DECLARE hromada_batches NO SCROLL CURSOR FOR " + sql, parameters: parameters, planning: .eachRun)
            var delivered = 0
            while true {
                let batch = try await query("FETCH FORWARD \(rowsPerBatch) FROM hromada_batches", parameters: [], planning: .eachRun)
                if !batch.isEmpty {
                    try await body(batch)
                    delivered += batch.count
                }
                if batch.count < rowsPerBatch { break }
            }
            try await execute(ownsTransaction ? "COMMIT" : "CLOSE hromada_batches")
            return delivered
        } catch {
            if ownsTransaction { _ = try? await execute("ROLLBACK") } else { _ = try? await execute("CLOSE hromada_batches") }
            throw error
        }
    }
}
