import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct MigrationTests {
    let migrations = [
        PostgresMigrator.Migration(version: 2, name: "second", sql: "ALTER TABLE first_table ADD COLUMN extra text;"),
        PostgresMigrator.Migration(version: 1, name: "first", sql: "CREATE TABLE first_table (id int); CREATE TABLE other (id int);"),
    ]

    @Test func appliesInOrderOnceAndRecordsChecksums() async throws {
        let pool = PostgresPool(configuration: try await TestDatabase.shared.emptyDatabase("migrate_order"), size: 2)
        let applied = try await PostgresMigrator(migrations: migrations).migrate(pool)
        #expect(applied.map(\.version) == [1, 2])
        #expect(try await PostgresMigrator(migrations: migrations).migrate(pool).isEmpty)
        let recorded = try await pool.query("SELECT version, length(checksum) AS length FROM schema_migrations ORDER BY version")
        #expect(try recorded.map { try $0.decode("version", as: Int.self) } == [1, 2])
        #expect(try recorded.map { try $0.decode("length", as: Int.self) } == [64, 64])
        await pool.shutdown()
    }

    @Test func anEditedMigrationIsRefused() async throws {
        let pool = PostgresPool(configuration: try await TestDatabase.shared.emptyDatabase("migrate_edit"), size: 1)
        try await PostgresMigrator(migrations: migrations).migrate(pool)
        var edited = migrations
        edited[1].sql += " -- edited"
        await #expect(throws: PostgresMigrator.MigrationError.checksumMismatch(version: 1, name: "first")) {
            try await PostgresMigrator(migrations: edited).migrate(pool)
        }
        await pool.shutdown()
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let pool = PostgresPool(configuration: try await TestDatabase.shared.emptyDatabase("migrate_fail"), size: 1)
        let broken = [PostgresMigrator.Migration(version: 1, name: "broken", sql: "CREATE TABLE half (id int); SELECT 1/0;")]
        await #expect(throws: PostgresError.self) { try await PostgresMigrator(migrations: broken).migrate(pool) }
        let tables = try await pool.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'half'")[0]
        #expect(try tables.decode("n", as: Int.self) == 0)
        await pool.shutdown()
    }

    @Test func twoProcessesStartingTogetherApplyEachMigrationOnce() async throws {
        let configuration = try await TestDatabase.shared.emptyDatabase("migrate_concurrent")
        let slow = migrations + [
            PostgresMigrator.Migration(version: 3, name: "slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE third (id int);")
        ]
        let first = PostgresPool(configuration: configuration, size: 1)
        let second = PostgresPool(configuration: configuration, size: 1)
        async let a = PostgresMigrator(migrations: slow).migrate(first)
        async let b = PostgresMigrator(migrations: slow).migrate(second)
        let (appliedByA, appliedByB) = try await (a, b)
        #expect(appliedByA.count + appliedByB.count == 3)
        #expect(appliedByA.isEmpty || appliedByB.isEmpty)
        await first.shutdown()
        await second.shutdown()
    }

    @Test func theRepositoryMigrationsLoadInOrder() throws {
        let migrator = try PostgresMigrator(directory: TestDatabase.migrationsDirectory)
        let versions = migrator.migrations.map(\.version)
        #expect(versions == versions.sorted())
        #expect(versions.first == 1)
        #expect(migrator.migrations.first?.name == "extensions")
    }
}

@Suite struct NotificationTests {
    @Test func listenerReceivesNotifications() async throws {
        let pool = try await TestDatabase.shared.pool(for: "notify", size: 2)
        let listener = PostgresListener(configuration: pool.configuration)
        let stream = listener.notifications(on: ["petition_signed"])
        let receiver = Task { () -> [PostgresNotification] in
            var received: [PostgresNotification] = []
            for await notification in stream {
                received.append(notification)
                if received.count == 2 { break }
            }
            return received
        }
        // The listener connects on its own thread; keep notifying until it has heard two.
        let sender = Task {
            for attempt in 0..<200 {
                try await pool.query("SELECT pg_notify('petition_signed', $1)", "payload-\(attempt)")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(15))
            receiver.cancel()
        }
        let received = await receiver.value
        sender.cancel()
        watchdog.cancel()
        #expect(received.count == 2)
        #expect(received.allSatisfy { $0.channel == "petition_signed" && $0.payload.hasPrefix("payload-") })
    }
}
