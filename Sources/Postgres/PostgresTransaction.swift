import Foundation

public enum PostgresIsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PostgresPool {
    /// Runs `body` in a transaction on one connection: committed when `body` returns, rolled back
    /// when it throws. A serialization failure or deadlock runs the whole transaction again, up to
    /// `maxAttempts` times with a short random back-off, so `body` must do nothing but database
    /// work that can be repeated.
    @discardableResult
    public func transaction<T>(
        isolation: PostgresIsolationLevel = .readCommitted, maxAttempts: Int = 5,
        _ body: (PostgresSession) async throws -> T
    ) async throws -> T {
        try await retryingConflicts(maxAttempts: maxAttempts) {
            try await withConnection { session in try await session.inTransaction(isolation: isolation, body) }
        }
    }

    /// Runs `statements` as one read-committed transaction in a single round trip, retried like
    /// ``transaction(isolation:maxAttempts:_:)``. For a hot path whose statements do not depend on
    /// each other's results: it saves the BEGIN, the COMMIT and a round trip per statement.
    @discardableResult
    public func transaction(_ statements: [PostgresStatement], planning: PostgresConnection.StatementPlanning = .cached,
                            maxAttempts: Int = 5) async throws -> [PostgresResult] {
        try await retryingConflicts(maxAttempts: maxAttempts) {
            try await withConnection { session in try await session.pipeline(statements, planning: planning) }
        }
    }

    private func retryingConflicts<T>(maxAttempts: Int, _ attemptOnce: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await attemptOnce()
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < maxAttempts {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...10) * attempt))
            }
        }
    }
}

extension PostgresSession {
    /// Runs `body` between BEGIN and COMMIT on this connection (no retry).
    @discardableResult
    public func inTransaction<T>(
        isolation: PostgresIsolationLevel = .readCommitted, _ body: (PostgresSession) async throws -> T
    ) async throws -> T {
        try await execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        do {
            let value = try await body(self)
            try await execute("COMMIT")
            return value
        } catch {
            _ = try? await execute("ROLLBACK")
            throw error
        }
    }
}
