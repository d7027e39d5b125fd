import Foundation
import Postgres

/// A background job as a worker sees it.
public struct Job: Sendable {
    public var id: Int
    public var kind: String
    public var payload: [String: Int]
    public var attempts: Int
}

/// Jobs in PostgreSQL, shared by every process.
///
/// A worker claims the oldest ready job with `FOR UPDATE SKIP LOCKED` and a lease; it runs the
/// handler and marks the job done in one transaction, so the job's effect happens exactly once.
/// If the worker dies, the transaction rolls back and the job is claimed again when the lease
/// runs out. A failed job is retried with exponential back-off up to its maximum attempts.
public struct JobQueue: Sendable {
    /// Enqueueing notifies this channel; idle workers wake up at once instead of at their next poll.
    public static let channel = "hromada_jobs"

    let database: PostgresPool

    /// Adds a job in the caller's transaction (it becomes visible, and wakes workers, on commit).
    /// With a `uniqueKey`, nothing is added while a job with that key is waiting or running.
    public func enqueue(
        _ kind: String, payload: [String: Int] = [:], runAt: Date? = nil, uniqueKey: String? = nil,
        on session: PostgresSession
    ) async throws {
        let inserted = try await session.query(
            """
            INSERT INTO jobs (kind, payload, run_at, unique_key) VALUES ($1, $2, coalesce($3, now()), $4)
            ON CONFLICT (unique_key) WHERE status IN ('pending', 'running') DO NOTHING
            RETURNING run_at <= now() AS due
            """, kind, try PostgresJSON(encoding: payload), runAt, uniqueKey)
        if try inserted.first?.decode("due", as: Bool.self) == true {
            try await session.query("SELECT pg_notify($1, $2)", Self.channel, kind)
        }
    }

    /// Claims the oldest ready job (or one whose worker's lease ran out) for `worker`.
    public func claim(worker: String, leaseSeconds: Int) async throws -> Job? {
        let rows = try await database.query(
            """
            UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1,
                            locked_until = now() + make_interval(secs => $2)
            WHERE id = (
                SELECT id FROM jobs
                WHERE (status = 'pending' AND run_at <= now()) OR (status = 'running' AND locked_until < now())
                ORDER BY run_at, id
                FOR UPDATE SKIP LOCKED
                LIMIT 1
            )
            RETURNING id, kind, payload, attempts
            """, worker, leaseSeconds)
        return try rows.first.map { row in
            Job(id: try row.decode("id"), kind: try row.decode("kind"),
                payload: try row.decode("payload", as: PostgresJSON.self).decode([String: Int].self),
                attempts: try row.decode("attempts"))
        }
    }

    /// Marks the job done inside the handler's transaction. Throws if another worker has taken
    /// the job over (the lease ran out), which rolls the handler's work back.
    func complete(_ job: Job, worker: String, on session: PostgresSession) async throws {
        let updated = try await session.query(
            """
            UPDATE jobs SET status = 'done', finished_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL
            WHERE id = $1 AND locked_by = $2 AND status = 'running'
            """, job.id, worker)
        guard updated.rowsAffected == 1 else { throw JobLeaseLost(jobID: job.id) }
    }

    /// Schedules a retry after `2^attempts` seconds (at most an hour), or gives up after the
    /// job's maximum attempts.
    func fail(_ job: Job, worker: String, error: any Error) async throws {
        try await database.query(
            """
            UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                            run_at = now() + make_interval(secs => least(3600, power(2, attempts))::int),
                            locked_by = NULL, locked_until = NULL, last_error = $3,
                            finished_at = CASE WHEN attempts >= max_attempts THEN now() END
            WHERE id = $1 AND locked_by = $2
            """, job.id, worker, String(describing: error).prefix(2000).description)
    }

    /// Ensures a recurring job of `kind` is waiting, to run `afterSeconds` from now.
    public func schedule(_ kind: String, afterSeconds: Int) async throws {
        try await database.withConnection { session in
            try await enqueue(kind, runAt: Date().addingTimeInterval(Double(afterSeconds)), uniqueKey: kind, on: session)
        }
    }
}

struct JobLeaseLost: Error {
    var jobID: Int
}
