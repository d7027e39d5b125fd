import Foundation
import Postgres

/// Databases for tests: each suite gets its own, cloned from the migrated template that
/// `make test` prepares, so suites run in parallel without seeing each other's rows.
public actor TestDatabase {
    public static let shared = TestDatabase()

    /// The server's maintenance database; `make test` sets it.
    public static var adminConfiguration: PostgresConfiguration {
        PostgresConfiguration(
            url: ProcessInfo.processInfo.environment["HROMADA_TEST_DATABASE_URL"]
                ?? "postgres://postgres@127.0.0.1:54320/postgres"
        )
    }

    public static var templateName: String {
        ProcessInfo.processInfo.environment["HROMADA_TEST_TEMPLATE"] ?? "hromada_test_template"
    }

    /// The repository's `sql/` folder.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql")
    }

    private var pools: [String: Task<PostgresPool, any Error>] = [:]
    /// Clones are made one after another by the server (each copies the template), so with dozens
    /// of suites starting at once the last waits well past a request's usual timeout.
    private let admin = PostgresPool(configuration: TestDatabase.adminConfiguration, size: 2, waitTimeout: .seconds(300))

    /// A pool over the suite's database, made from the migrated template on first use. Tests of a
    /// suite run in parallel and share it. Its callers wait up to a minute for a connection (a
    /// server waits 10 s): every suite runs at once on a 2-core CI machine, and a test checks what
    /// happens, not how fast; the pool's own timeout has a test of its own.
    public func pool(for suite: String, size: Int = 8) async throws -> PostgresPool {
        if let pending = pools[suite] { return try await pending.value }
        let pending = Task {
            PostgresPool(configuration: try await create(suite, template: Self.templateName), size: size, waitTimeout: .seconds(60))
        }
        pools[suite] = pending
        return try await pending.value
    }

    /// A new database with nothing in it (for migration tests).
    public func emptyDatabase(_ name: String) async throws -> PostgresConfiguration {
        try await create(name, template: "template0")
    }

    private func create(_ suite: String, template: String) async throws -> PostgresConfiguration {
        let name = "test_" + suite.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
        try await admin.query("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
        // Another clone of the same template may be starting; PostgreSQL then refuses briefly.
        for attempt in 1...100 {
            do {
                try await admin.query("CREATE DATABASE \"\(name)\" TEMPLATE \"\(template)\"")
                break
            } catch let error as PostgresError where error.sqlState == "55006" && attempt < 100 {
                try await Task.sleep(for: .milliseconds(min(100 * attempt, 1_000)))
            }
        }
        return Self.adminConfiguration.replacingDatabase(with: name)
    }
}
