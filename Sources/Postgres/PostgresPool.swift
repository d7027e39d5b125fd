import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// A fixed-size pool of connections.
///
/// libpq calls block, so they run on the pool's own `NIOThreadPool`, never on an event loop or
/// Swift's cooperative pool. A connection is lent to one task at a time. When every connection
/// is busy, callers wait in arrival order until one is returned or the wait timeout passes.
/// A connection that broke (the server restarted, an administrator terminated its backend) is
/// dropped when it is returned or lent, and a new one is opened in its place.
///
/// Lending and returning take a lock for a few instructions instead of hopping to an actor,
/// because every statement does both.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    public let size: Int
    public let waitTimeout: Duration
    let threadPool: NIOThreadPool
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var idle: [PostgresConnection] = []
        /// Connections lent out, idle, or being opened.
        var openCount = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
        var sweeperRunning = false
    }

    private struct Waiter {
        var id: UInt64
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<PostgresConnection?, any Error>
    }

    /// What a caller of `lease` does next, decided under the lock and carried out outside it.
    private enum LeaseStep {
        case check(PostgresConnection)
        case open
        case wait
        case closed
    }

    /// - Parameters:
    ///   - size: the most connections open at once.
    ///   - waitTimeout: how long a caller waits for a free connection before failing.
    public init(
        configuration: PostgresConfiguration, size: Int = 8, waitTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "hromada.postgres")
    ) {
        precondition(size > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.size = size
        self.waitTimeout = waitTimeout
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: size)
        self.threadPool.start()
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    public func withConnection<T>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(PostgresSession(connection: connection, threadPool: threadPool))
            giveBack(connection)
            return value
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Runs one statement on any free connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: any PostgresEncodable...) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters: parameters) }
    }

    /// Runs one statement on any free connection.
    @discardableResult
    public func query(_ sql: String, parameters: [any PostgresEncodable],
                      planning: PostgresConnection.StatementPlanning = .cached) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters: parameters, planning: planning) }
    }

    /// Closes idle connections and fails waiting callers. Connections lent out close when returned.
    public func shutdown() async {
        let waiters = state.withLockedValue { state in
            state.isClosed = true
            state.openCount -= state.idle.count
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "the pool was shut down"))
        }
        try? await threadPool.shutdownGracefully()
    }

    /// Counts for monitoring: connections open, lent out, and callers waiting.
    public var statistics: (open: Int, inUse: Int, waiting: Int) {
        state.withLockedValue { ($0.openCount, $0.openCount - $0.idle.count, $0.waiters.count) }
    }

    // MARK: - Lending

    private func lease() async throws -> PostgresConnection {
        while true {
            let step = state.withLockedValue { state -> LeaseStep in
                if state.isClosed { return .closed }
                if let connection = state.idle.popLast() { return .check(connection) }
                if state.openCount < size {
                    state.openCount += 1
                    return .open
                }
                return .wait
            }
            switch step {
            case .check(let connection):
                if connection.isHealthy { return connection }
                logger.notice("dropping a broken database connection")
                state.withLockedValue { $0.openCount -= 1 }
            case .open:
                do {
                    return try await openConnection()
                } catch {
                    releaseSlot()
                    throw error
                }
            case .wait:
                if let connection = try await waitForConnection() { return connection }
            case .closed:
                throw PostgresError(kind: .poolClosed, message: "the pool was shut down")
            }
        }
    }

    private func openConnection() async throws -> PostgresConnection {
        let configuration = self.configuration
        do {
            return try await threadPool.runIfActive { try PostgresConnection.connect(configuration) }
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(kind: .connection, message: "\(error)")
        }
    }

    /// Queues the caller, or returns `nil` at once if a connection became free (or a slot to open
    /// one) since `lease` looked: the check and the queueing happen under one lock, so a connection
    /// given back in between is never missed.
    private func waitForConnection() async throws -> PostgresConnection? {
        let deadline = ContinuousClock.now + waitTimeout
        return try await withCheckedThrowingContinuation { continuation in
            let (queued, startSweeper) = state.withLockedValue { state -> (Bool, Bool) in
                guard state.idle.isEmpty, state.openCount >= size, !state.isClosed else { return (false, false) }
                state.nextWaiterID += 1
                state.waiters.append(Waiter(id: state.nextWaiterID, deadline: deadline, continuation: continuation))
                defer { state.sweeperRunning = true }
                return (true, !state.sweeperRunning)
            }
            if !queued { continuation.resume(returning: nil) }
            if startSweeper { startTimeoutSweeper() }
        }
    }

    /// One task per pool, alive while callers wait, fails those whose wait timed out. (A timer per
    /// waiter would put thousands of sleeping tasks on the clock under load.)
    private func startTimeoutSweeper() {
        Task { [weak self] in
            while let self {
                try? await Task.sleep(for: .milliseconds(50))
                let now = ContinuousClock.now
                let (expired, keepRunning) = self.state.withLockedValue { state -> ([Waiter], Bool) in
                    let expired = state.waiters.filter { $0.deadline <= now }
                    state.waiters.removeAll { $0.deadline <= now }
                    state.sweeperRunning = !state.waiters.isEmpty && !state.isClosed
                    return (expired, state.sweeperRunning)
                }
                for waiter in expired {
                    waiter.continuation.resume(
                        throwing: PostgresError(kind: .poolTimeout, message: "no database connection became free in time"))
                }
                if !keepRunning { return }
            }
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        let healthy = connection.isHealthy
        if !healthy { logger.notice("dropping a broken database connection") }
        let (waiter, replace) = state.withLockedValue { state -> (Waiter?, Bool) in
            if state.isClosed || !healthy {
                state.openCount -= 1
                // Open a replacement for the first waiter, if any is waiting.
                guard !state.isClosed, !state.waiters.isEmpty, state.openCount < size else { return (nil, false) }
                state.openCount += 1
                return (nil, true)
            }
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return (nil, false)
            }
            return (state.waiters.removeFirst(), false)
        }
        waiter?.continuation.resume(returning: connection)
        if replace { openReplacementForFirstWaiter() }
    }

    private func openReplacementForFirstWaiter() {
        Task {
            do {
                giveBack(try await openConnection())
            } catch {
                releaseSlot()
            }
        }
    }

    /// Gives back a slot that a failed open had taken. A caller who is waiting tries again itself
    /// (opening its own connection, or failing with its own error) instead of waiting out the timeout.
    private func releaseSlot() {
        let waiter = state.withLockedValue { state -> Waiter? in
            state.openCount -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: nil)
    }
}

/// A connection lent by the pool: its statements run on the pool's thread pool.
public struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let threadPool: NIOThreadPool

    /// Runs one parameterised statement.
    @discardableResult
    public func query(_ sql: String, _ parameters: any PostgresEncodable...) async throws -> PostgresResult {
        try await query(sql, parameters: parameters)
    }

    /// Runs one parameterised statement.
    @discardableResult
    public func query(_ sql: String, parameters: [any PostgresEncodable],
                      planning: PostgresConnection.StatementPlanning = .cached) async throws -> PostgresResult {
        let connection = self.connection
        return try await threadPool.runIfActive { try connection.query(sql, parameters, planning: planning) }
    }

    /// Runs `statements` in one round trip; outside a transaction block they form a transaction
    /// of their own (see ``PostgresConnection/pipeline(_:planning:)``).
    @discardableResult
    public func pipeline(_ statements: [PostgresStatement],
                         planning: PostgresConnection.StatementPlanning = .cached) async throws -> [PostgresResult] {
        let connection = self.connection
        return try await threadPool.runIfActive { try connection.pipeline(statements, planning: planning) }
    }

    /// Runs parameterless SQL that may hold several statements (a migration file).
    @discardableResult
    public func execute(_ sql: String) async throws -> PostgresResult {
        let connection = self.connection
        return try await threadPool.runIfActive { try connection.execute(sql) }
    }

}
