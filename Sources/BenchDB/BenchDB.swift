import ArgumentParser
import Foundation
import Postgres

/// `make bench-db`: single-row inserts through the driver's pool at 1 and 32 concurrent tasks,
/// against pgbench inserting the same row into the same server in the same run.
@main
struct BenchDB: AsyncParsableCommand {
    @Option(help: "PostgreSQL URL of a scratch database.") var databaseURL: String
    @Option(help: "Path of pgbench.") var pgbench: String = "pgbench"
    @Option(help: "Inserts per measurement.") var inserts: Int = 20_000
    @Option(help: "Interleaved rounds; the median is reported.") var rounds: Int = 3

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: databaseURL), size: 32)
        try await pool.query("DROP TABLE IF EXISTS bench_rows")
        try await pool.query("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, author int NOT NULL, note text NOT NULL)")
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("hromada-bench-insert.sql")
        try "INSERT INTO bench_rows (author, note) VALUES (42, 'signature');\n".write(to: script, atomically: true, encoding: .utf8)

        print("Single-row INSERTs, \(inserts) per measurement, median of \(rounds) interleaved rounds")
        print("clients  driver (rows/s)  pgbench (rows/s)  ratio")
        for clients in [1, 32] {
            var driver: [Double] = []
            var reference: [Double] = []
            for _ in 0..<rounds {
                reference.append(try pgbenchRate(script: script.path, clients: clients))
                driver.append(try await driverRate(pool: pool, clients: clients))
            }
            let driverMedian = median(driver)
            let referenceMedian = median(reference)
            print(String(format: "%7d  %15.0f  %16.0f  %5.2f", clients, driverMedian, referenceMedian, driverMedian / referenceMedian))
        }
        await pool.shutdown()
    }

    func driverRate(pool: PostgresPool, clients: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                let share = inserts / clients + (client < inserts % clients ? 1 : 0)
                group.addTask {
                    for _ in 0..<share {
                        try await pool.query("INSERT INTO bench_rows (author, note) VALUES ($1, $2)", 42, "signature")
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        return Double(inserts) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func pgbenchRate(script: String, clients: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgbench)
        process.arguments = [
            "-n", "-f", script, "-c", String(clients), "-j", String(min(clients, 2)), "-t", String(inserts / clients),
            databaseURL,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "tps = 1234.567890 (without initial connection time)"
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let rate = Double(line.dropFirst(6).split(separator: " ")[0])
        else { throw ValidationError("pgbench printed no rate:\n\(text)") }
        return rate
    }
}
