import Foundation
import Logging
import NIOConcurrencyHelpers

/// Receives `NOTIFY` messages on a connection of its own, outside the pool.
///
/// The listening connection waits in `poll()` on a dedicated thread, so it never holds a pool
/// thread. If the connection is lost it reconnects and listens again; notifications sent while
/// it was away are lost, so consumers treat a notification as a hint to re-read the database.
public final class PostgresListener: Sendable {
    private let configuration: PostgresConfiguration
    private let logger: Logger

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "hromada.postgres.listen")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Notifications on `channels`, until the consumer stops iterating.
    public func notifications(on channels: [String]) -> AsyncStream<PostgresNotification> {
        let (stream, continuation) = AsyncStream<PostgresNotification>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let stopped = NIOLockedValueBox(false)
        continuation.onTermination = { _ in stopped.withLockedValue { $0 = true } }
        let configuration = self.configuration
        let logger = self.logger
        let thread = Thread {
            var connection: PostgresConnection?
            while !stopped.withLockedValue({ $0 }) {
                do {
                    if connection == nil {
                        let fresh = try PostgresConnection.connect(configuration)
                        for channel in channels {
                            try fresh.execute("LISTEN \(try fresh.quoteIdentifier(channel))")
                        }
                        connection = fresh
                    }
                    for notification in try connection!.waitForNotifications(timeoutMilliseconds: 200) {
                        continuation.yield(notification)
                    }
                } catch {
                    logger.warning("listening connection lost, reconnecting: \(error)")
                    connection = nil
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
        }
        thread.name = "postgres-listener"
        thread.start()
        return stream
    }
}
