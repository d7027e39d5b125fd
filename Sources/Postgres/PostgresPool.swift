import Foundation
import Logging
import NIOPosix

/// A fixed-size pool of connections.
///
/// libpq calls block, so they run on the pool's own `NIOThreadPool`, never on an event loop or
/// Swift's cooperative pool. A connection is lent to one task at a time. When every connection
/// is busy, callers wait in arrival order until one is returned or the wait timeout passes.
/// A connection that broke (the server restarted, an administrator terminated its backend) is
/// dropped when it is returned or lent, and a new one is opened in its place.
public actor PostgresPool {
    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let size: Int
    public nonisolated let waitTimeout: Duration
    nonisolated let threadPool: NIOThreadPool
    private let logger: Logger

    private var idle: [PostgresConnection] = []
    /// Connections lent out, idle, or being opened.
    private var openCount = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    private var isClosed = false

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
    public nonisolated func withConnection<T>(_ body: (PostgresSession) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(PostgresSession(connection: connection, threadPool: threadPool))
            await giveBack(connection)
            return value
        } catch {
            await giveBack(connection)
            throw error
        }
    }

    /// Runs one statement on any free connection.
    @discardableResult
    public nonisolated func query(_ sql: String, _ parameters: any PostgresEncodable...) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters: parameters) }
    }

    /// Runs one statement on any free connection.
    @discardableResult
    public nonisolated func query(_ sql: String, parameters: [any PostgresEncodable]) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters: parameters) }
    }

    /// Closes idle connections and fails waiting callers. Connections lent out close when returned.
    public func shutdown() async {
        isClosed = true
        idle.removeAll()
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "the pool was shut down"))
        }
        waiters.removeAll()
        try? await threadPool.shutdownGracefully()
    }

    /// Counts for monitoring: connections open, lent out, and callers waiting.
    public var statistics: (open: Int, inUse: Int, waiting: Int) {
        (openCount, openCount - idle.count, waiters.count)
    }

    // MARK: - Lending

    private func lease() async throws -> PostgresConnection {
        while !isClosed {
            if let connection = idle.popLast() {
                if connection.isHealthy {
                    return connection
                }
                logger.notice("dropping a broken database connection")
                openCount -= 1
                continue
            }
            if openCount < size {
                openCount += 1
                do {
                    return try await openConnection()
                } catch {
                    openCount -= 1
                    throw error
                }
            }
            return try await waitForConnection()
        }
        throw PostgresError(kind: .poolClosed, message: "the pool was shut down")
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

    private func waitForConnection() async throws -> PostgresConnection {
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = waitTimeout
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((id, continuation))
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expireWaiter(id)
            }
        }
    }

    private func expireWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(
            throwing: PostgresError(kind: .poolTimeout, message: "no database connection became free in time")
        )
    }

    private func giveBack(_ connection: PostgresConnection) {
        if isClosed {
            openCount -= 1
            return
        }
        guard connection.isHealthy else {
            logger.notice("dropping a broken database connection")
            openCount -= 1
            replaceForFirstWaiter()
            return
        }
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().continuation.resume(returning: connection)
        }
    }

    /// A connection was dropped while callers wait: open a new one for the first of them.
    private func replaceForFirstWaiter() {
        guard !waiters.isEmpty, openCount < size else { return }
        openCount += 1
        Task {
            do {
                let connection = try await openConnection()
                giveBack(connection)
            } catch {
                openCount -= 1
                if !waiters.isEmpty {
                    waiters.removeFirst().continuation.resume(throwing: error)
                }
            }
        }
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
    public func query(_ sql: String, parameters: [any PostgresEncodable]) async throws -> PostgresResult {
        let connection = self.connection
        return try await threadPool.runIfActive { try connection.query(sql, parameters) }
    }

    /// Runs parameterless SQL that may hold several statements (a migration file).
    @discardableResult
    public func execute(_ sql: String) async throws -> PostgresResult {
        let connection = self.connection
        return try await threadPool.runIfActive { try connection.execute(sql) }
    }

    /// The server process of this connection (for `pg_terminate_backend` in tests and tools).
    public var backendProcessID: Int { connection.backendProcessID }
}
