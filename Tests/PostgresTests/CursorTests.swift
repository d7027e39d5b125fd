import Foundation
import Postgres
import TestSupport
import Testing

/// ``PostgresSession/forEachBatch(_:parameters:rowsPerBatch:_:)``: rows stream from a server-side
/// cursor in bounded batches, and the connection goes back to the pool idle however the stream ends.
@Suite(.timeLimit(.minutes(1))) struct CursorTests {
    struct ConsumerStopped: Error {}

    @Test func rowsArriveInOrderInBoundedBatches() async throws {
        let pool = try await TestDatabase.shared.pool(for: "cursor_order", size: 1)
        let backend: Int = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid")
        var sizes: [Int] = []
        var values: [Int] = []
        let delivered = try await pool.withConnection { session in
            try await session.forEachBatch("SELECT i FROM generate_series(1, $1::int) i ORDER BY i", parameters: [2_500], rowsPerBatch: 1_000) { batch in
                sizes.append(batch.count)
                values += try batch.map { try $0.decode("i", as: Int.self) }
                // The rows come from a cursor that is still open while the batch is handled.
                let cursors: Int = try await session.query("SELECT count(*)::int AS n FROM pg_cursors WHERE name = 'hromada_batches'")[0].decode("n")
                #expect(cursors == 1)
            }
        }
        #expect(delivered == 2_500)
        #expect(sizes == [1_000, 1_000, 500])
        #expect(values == Array(1...2_500))
        #expect(try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self) == backend,
                "the same connection is lent again")
        #expect(pool.statistics.inUse == 0)
    }

    /// A billion rows: a driver that read the whole result before handing it over would run out
    /// of memory or time; the cursor hands over three batches and stops.
    @Test func consumerThatStopsEarlyReleasesTheConnection() async throws {
        let pool = try await TestDatabase.shared.pool(for: "cursor_stop", size: 1)
        let backend: Int = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid")
        var batches = 0
        await #expect(throws: ConsumerStopped.self) {
            try await pool.withConnection { session in
                try await session.forEachBatch("SELECT generate_series(1, 1000000000::bigint) AS i", rowsPerBatch: 100) { batch in
                    #expect(batch.count == 100)
                    batches += 1
                    if batches == 3 { throw ConsumerStopped() }
                }
            }
        }
        #expect(batches == 3)
        // The pool lends again only a connection outside any transaction block: the same backend
        // means the cursor's transaction was closed.
        let after = try await pool.query(
            "SELECT pg_backend_pid() AS pid, (SELECT count(*)::int FROM pg_cursors WHERE name = 'hromada_batches') AS cursors")[0]
        #expect(try after.decode("pid", as: Int.self) == backend)
        #expect(try after.decode("cursors", as: Int.self) == 0)
        #expect(pool.statistics.inUse == 0)
    }

    @Test func errorHalfWaySurfacesAfterTheRowsBeforeIt() async throws {
        let pool = try await TestDatabase.shared.pool(for: "cursor_error", size: 1)
        var received: [Int] = []
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { session in
                try await session.forEachBatch(
                    "SELECT CASE WHEN i = 1500 THEN i / (i - i) ELSE i END AS i FROM generate_series(1, 3000) i", rowsPerBatch: 1_000
                ) { batch in received += try batch.map { try $0.decode("i", as: Int.self) } }
            }
        }
        #expect(error?.sqlState == "22012")
        #expect(received == Array(1...1_000))
        #expect(try await pool.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        #expect(pool.statistics.inUse == 0)
    }

    @Test func insideATransactionTheCursorSeesItsWritesAndLeavesItOpen() async throws {
        let pool = try await TestDatabase.shared.pool(for: "cursor_transaction", size: 1)
        try await pool.query("CREATE TABLE IF NOT EXISTS cursor_rows (n int)")
        let seen = try await pool.transaction { session in
            try await session.query("INSERT INTO cursor_rows SELECT generate_series(1, 5)")
            var seen = 0
            try await session.forEachBatch("SELECT n FROM cursor_rows", rowsPerBatch: 2) { seen += $0.count }
            try await session.query("INSERT INTO cursor_rows VALUES (6)")
            return seen
        }
        #expect(seen == 5)
        #expect(try await pool.query("SELECT count(*)::int AS n FROM cursor_rows")[0].decode("n", as: Int.self) == 6)
    }
}
