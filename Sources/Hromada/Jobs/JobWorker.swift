import Foundation
import Logging
import Postgres

/// Runs one kind of job. `run` executes inside the transaction that marks the job done, so any
/// database work it does happens exactly once.
public protocol JobHandler: Sendable {
    var kind: String { get }
    func run(_ job: Job, on session: PostgresSession) async throws
}

/// Takes jobs from the queue and runs their handlers. Every web process runs one; they share the
/// queue safely.
public struct JobWorker: Sendable {
    public let queue: JobQueue
    let handlers: [String: any JobHandler]
    public let workerID: String
    let leaseSeconds: Int
    let logger: Logger

    public init(queue: JobQueue, handlers: [any JobHandler], workerID: String = "worker-\(UUID().uuidString.prefix(8))",
                leaseSeconds: Int = 120, logger: Logger) {
        self.queue = queue
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.kind, $0) })
        self.workerID = workerID
        self.leaseSeconds = leaseSeconds
        self.logger = logger
    }

    /// Claims and runs one job; `false` when none was ready.
    @discardableResult
    public func runOnce() async throws -> Bool {
        guard let job = try await queue.claim(worker: workerID, leaseSeconds: leaseSeconds) else { return false }
        guard let handler = handlers[job.kind] else {
            try await queue.fail(job, worker: workerID, error: UnknownJobKind(kind: job.kind))
            return true
        }
        do {
            try await queue.database.transaction { session in
                try await handler.run(job, on: session)
                try await queue.complete(job, worker: workerID, on: session)
            }
        } catch {
            logger.warning("job \(job.id) (\(job.kind)) failed on attempt \(job.attempts): \(error)")
            try await queue.fail(job, worker: workerID, error: error)
        }
        return true
    }

    /// Runs jobs until the task is cancelled: drains what is ready, then sleeps until a NOTIFY on
    /// ``JobQueue/channel`` or the poll interval (which also picks up scheduled jobs and expired
    /// leases). `recurring` jobs are kept scheduled at their intervals.
    public func run(listener: PostgresListener, pollSeconds: Int = 5, recurring: [(kind: String, everySeconds: Int)] = []) async {
        // Notifications and poll ticks both just mean "look again"; several at once count as one.
        let (wakeUps, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in listener.notifications(on: [JobQueue.channel]) { wake.yield() }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(pollSeconds))
                    wake.yield()
                }
            }
            group.addTask {
                wake.yield()
                for await _ in wakeUps {
                    do {
                        for job in recurring { try await queue.schedule(job.kind, afterSeconds: job.everySeconds) }
                        while !Task.isCancelled, try await runOnce() {}
                    } catch {
                        logger.warning("job worker: \(error)")
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

struct UnknownJobKind: Error, CustomStringConvertible {
    var kind: String
    var description: String { "no handler for job kind \(kind)" }
}
