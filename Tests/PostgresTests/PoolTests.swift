import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct PoolTests {
    @Test func fiveHundredTasksOverEightConnections() async throws {
        let pool = try await TestDatabase.shared.pool(for: "pool_concurrency", size: 8)
        try await pool.query("CREATE TABLE IF NOT EXISTS pool_rows (task int PRIMARY KEY, backend int NOT NULL)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<500 {
                group.addTask {
                    _ = try await pool.withConnection { session in
                        try await session.query(
                            "INSERT INTO pool_rows (task, backend) VALUES ($1, pg_backend_pid())", task)
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = try await pool.query("SELECT count(*) AS n, count(DISTINCT backend) AS backends FROM pool_rows")[0]
        #expect(try counts.decode("n", as: Int.self) == 500)
        #expect(try counts.decode("backends", as: Int.self) <= 8)
        let statistics = pool.statistics
        #expect(statistics.open <= 8)
        #expect(statistics.inUse == 0)
        #expect(statistics.waiting == 0)
    }

    @Test func statementsPlannedForEachRunAreNotPrepared() async throws {
        let pool = try await TestDatabase.shared.pool(for: "pool_planning", size: 1)
        let sql = "SELECT $1::int + 1 AS next"
        let rows = try await pool.query(sql, parameters: [41], planning: .eachRun)
        #expect(try rows[0].decode("next", as: Int.self) == 42)
        let prepared: Int = try await pool.query(
            "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1", sql)[0].decode("n")
        #expect(prepared == 0)
        _ = try await pool.query(sql, parameters: [1])
        let preparedAfter: Int = try await pool.query(
            "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1", sql)[0].decode("n")
        #expect(preparedAfter == 1, "the default still prepares once per connection")
    }

    @Test func waitingCallersTimeOut() async throws {
        let base = try await TestDatabase.shared.pool(for: "pool_timeout", size: 1)
        let pool = PostgresPool(configuration: base.configuration, size: 1, waitTimeout: .milliseconds(200))
        let holder = Task {
            try await pool.withConnection { session in try await session.query("SELECT pg_sleep(1)") }
        }
        try await Task.sleep(for: .milliseconds(100))
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.kind == .poolTimeout)
        _ = try await holder.value
        #expect(try await pool.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        await pool.shutdown()
    }

    @Test func waitersAreServedInArrivalOrder() async throws {
        let base = try await TestDatabase.shared.pool(for: "pool_order", size: 1)
        let pool = PostgresPool(configuration: base.configuration, size: 1)
        let order = OrderRecorder()
        let holder = Task { try await pool.withConnection { try await $0.query("SELECT pg_sleep(0.3)") } }
        try await Task.sleep(for: .milliseconds(50))
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<5 {
            waiters.append(Task { try await pool.withConnection { _ in await order.record(index) } })
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(await order.values == [0, 1, 2, 3, 4])
        await pool.shutdown()
    }

    @Test func terminatedConnectionIsReplaced() async throws {
        let base = try await TestDatabase.shared.pool(for: "pool_terminate", size: 1)
        let pool = PostgresPool(configuration: base.configuration, size: 1)
        let firstBackend = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
        let terminated = try await base.query("SELECT pg_terminate_backend($1::int) AS ok", firstBackend)[0]
        #expect(try terminated.decode("ok", as: Bool.self))
        try await Task.sleep(for: .milliseconds(100))
        let secondBackend = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
        #expect(secondBackend != firstBackend)
        #expect(pool.statistics.open == 1)
        await pool.shutdown()
    }

    @Test func unreachableServerIsAnUnavailableError() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(url: "postgres://postgres@127.0.0.1:1/none", connectTimeoutSeconds: 1),
            size: 1)
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.isUnavailable == true)
        #expect(pool.statistics.open == 0)
        await pool.shutdown()
    }

    @Test func statementTimeoutCancelsLongStatements() async throws {
        let base = try await TestDatabase.shared.pool(for: "pool_statement_timeout", size: 1)
        var configuration = base.configuration
        configuration.statementTimeoutMilliseconds = 100
        let pool = PostgresPool(configuration: configuration, size: 1)
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(2)") }
        #expect(error?.sqlState == SQLState.queryCanceled)
        #expect(try await pool.query("SELECT 2 AS two")[0].decode("two", as: Int.self) == 2)
        await pool.shutdown()
    }
}

actor OrderRecorder {
    var values: [Int] = []
    func record(_ value: Int) { values.append(value) }
}
