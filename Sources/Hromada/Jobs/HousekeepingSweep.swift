import Postgres

/// Deletes what has ended and nothing reads any more: expired sessions, account links a week past
/// their end, and rate-limit windows older than the longest window. A job rather than a loop in each
/// process, so that one process does it each time and a failure is logged and retried.
struct HousekeepingSweep: JobHandler {
    static let kind = "housekeeping.sweep"
    var kind: String { Self.kind }

    func run(_ job: Job, on session: PostgresSession) async throws {
        try await SessionStore.prune(on: session)
        try await AccountTokenStore.prune(on: session)
        try await RateLimiter.prune(on: session)
    }
}
