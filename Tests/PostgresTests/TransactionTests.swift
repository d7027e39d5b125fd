import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct TransactionTests {
    func database() async throws -> PostgresPool { try await TestDatabase.shared.pool(for: "transactions") }

    @Test func commitsOnReturnAndRollsBackOnThrow() async throws {
        let pool = try await database()
        try await pool.query("CREATE TABLE IF NOT EXISTS ledger (id serial PRIMARY KEY, note text NOT NULL)")
        let kept = UUID().uuidString
        let dropped = UUID().uuidString
        try await pool.transaction { try await $0.query("INSERT INTO ledger (note) VALUES ($1)", kept) }
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await pool.transaction { session in
                try await session.query("INSERT INTO ledger (note) VALUES ($1)", dropped)
                throw Abort()
            }
        }
        let notes = try await pool.query("SELECT note FROM ledger WHERE note = ANY($1)", [kept, dropped])
            .map { try $0.decode("note", as: String.self) }
        #expect(notes == [kept])
    }

    @Test func serializationFailuresAreRetried() async throws {
        let pool = try await database()
        try await pool.query("CREATE TABLE IF NOT EXISTS counters (name text PRIMARY KEY, value int NOT NULL)")
        let name = UUID().uuidString
        try await pool.query("INSERT INTO counters VALUES ($1, 0)", name)
        let attempts = AttemptCounter()
        // Twenty concurrent read-then-write increments under SERIALIZABLE conflict with each other;
        // every one must still land exactly once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await pool.transaction(isolation: .serializable, maxAttempts: 50) { session in
                        await attempts.increment()
                        let current = try await session.query("SELECT value FROM counters WHERE name = $1", name)[0]
                            .decode("value", as: Int.self)
                        try await Task.sleep(for: .milliseconds(5))
                        try await session.query("UPDATE counters SET value = $1 WHERE name = $2", current + 1, name)
                    }
                }
            }
            try await group.waitForAll()
        }
        let value = try await pool.query("SELECT value FROM counters WHERE name = $1", name)[0].decode("value", as: Int.self)
        #expect(value == 20)
        #expect(await attempts.count > 20, "the conflicts should have forced at least one retry")
    }

    @Test func retriesStopAtTheLimit() async throws {
        let pool = try await database()
        let attempts = AttemptCounter()
        let error = await #expect(throws: PostgresError.self) {
            try await pool.transaction(maxAttempts: 3) { session in
                await attempts.increment()
                try await session.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
            }
        }
        #expect(error?.sqlState == SQLState.serializationFailure)
        #expect(await attempts.count == 3)
    }

    @Test func aPipelineIsOneTransaction() async throws {
        let pool = try await database()
        try await pool.query("CREATE TABLE IF NOT EXISTS piped (id int PRIMARY KEY, note text NOT NULL)")
        let first = Int.random(in: 1..<1_000_000_000)
        // The second statement reads what the first wrote; both land together.
        let results = try await pool.transaction([
            PostgresStatement("INSERT INTO piped VALUES ($1, 'first')", first),
            PostgresStatement("SELECT count(*)::int AS n FROM piped WHERE id = $1", first),
        ])
        #expect(try results[1][0].decode("n", as: Int.self) == 1)
        // A failing statement rolls back the ones before it and reports its own error.
        let error = await #expect(throws: PostgresError.self) {
            try await pool.transaction([
                PostgresStatement("INSERT INTO piped VALUES ($1, 'second')", first + 1),
                PostgresStatement("INSERT INTO piped VALUES ($1, 'again')", first),
                PostgresStatement("INSERT INTO piped VALUES ($1, 'third')", first + 2),
            ])
        }
        #expect(error?.isUniqueViolation == true)
        let stored = try await pool.query("SELECT id FROM piped WHERE id BETWEEN $1 AND $2 ORDER BY id", first, first + 2)
            .map { try $0.decode("id", as: Int.self) }
        #expect(stored == [first])
        // The connection that failed is back in the pool and works.
        let one = try await pool.withConnection { session in try await session.query("SELECT 1 AS one")[0].decode("one", as: Int.self) }
        #expect(one == 1)
    }

    @Test func genericPlanningPlansOnceForAnyValues() async throws {
        let pool = try await database()
        let sql = "SELECT count(*)::int AS n FROM generate_series(1, 100) AS g WHERE g = ANY($1)"
        let keySets = [[1], [2, 3], [4, 5, 6], [7], [8, 9], [10], [11, 12]]
        let (counts, plans, modes) = try await pool.withConnection { session in
            let modeBefore = try await session.query("SHOW plan_cache_mode")[0].decode("plan_cache_mode", as: String.self)
            var counts: [Int] = []
            for keys in keySets {
                counts.append(try await session.query(sql, parameters: [keys], planning: .generic)[0].decode("n", as: Int.self))
            }
            let plans = try await session.query(
                "SELECT generic_plans::int, custom_plans::int FROM pg_prepared_statements WHERE statement = $1", sql)[0]
            let modeAfter = try await session.query("SHOW plan_cache_mode")[0].decode("plan_cache_mode", as: String.self)
            return (counts, [try plans.decode("generic_plans", as: Int.self), try plans.decode("custom_plans", as: Int.self)],
                    [modeBefore, modeAfter])
        }
        #expect(counts == keySets.map(\.count))
        #expect(plans == [keySets.count, 0])
        // The setting lasted only for those statements.
        #expect(modes[0] == modes[1] && modes[1] != "force_generic_plan")
    }
}

actor AttemptCounter {
    var count = 0
    func increment() { count += 1 }
}
