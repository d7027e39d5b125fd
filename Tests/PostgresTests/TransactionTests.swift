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
}

actor AttemptCounter {
    var count = 0
    func increment() { count += 1 }
}
