import ArgumentParser
import BenchSupport
import Foundation
import Postgres

/// `make bench-export`: with a million signatures and 100,000 reports, the server's resident
/// memory while eight full open-data exports download at once, their rate in rows per second, and
/// a petition's `count.json` p99 during the exports beside the same figure without them.
@main
struct BenchExport: AsyncParsableCommand {
    @OptionGroup var options: LoadOptions
    @Option(help: "Signatures to seed (spread over 100 petitions).") var signatures: Int = 1_000_000
    @Option(help: "Reports to seed.") var reports: Int = 100_000
    @Option(help: "Full exports downloading at once.") var exports: Int = 8

    static let petitions = 100

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: options.databaseURL, statementTimeoutMilliseconds: 0), size: 2)
        let exportConnections = ProcessInfo.processInfo.environment["HROMADA_EXPORT_CONNECTIONS"] ?? "\(min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))) (the default: one per core, from 2 to 4)"
        let work = try LoadOptions.workDirectory("export")
        let petition = try await seed(pool)
        await pool.shutdown()

        let load = options.load
        let server = try load.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        try await load.waitUntilReady()
        let countPath = "/khmelnytskyi/petitions/\(petition)/count.json"
        _ = try wrk(countPath, seconds: 2, work: work)  // warm-up: connections opened, statements prepared

        let quiet = try wrk(countPath, seconds: options.seconds, work: work)
        let memory = MemorySampler(pid: server.processIdentifier)
        let baseline = memory.residentMegabytes()
        let sampling = Task { await memory.sample(every: .milliseconds(100)) }

        let paths = (0..<exports).map { $0 % 2 == 0 ? "/khmelnytskyi/open-data/signatures.csv" : "/khmelnytskyi/open-data/reports.csv?from=2000-01-01" }
        let started = Date()
        let downloads = try paths.enumerated().map { index, path in try Download(path: path, port: options.port, file: work.appendingPathComponent("export-\(index).csv")) }
        let busy = try wrk(countPath, seconds: options.seconds, work: work)
        let stillRunning = downloads.filter(\.isRunning).count
        var rows = 0
        var failures = 0
        for download in downloads {
            let (status, lines) = try download.finish()
            if status == 0 { rows += lines - 1 } else { failures += 1 }
        }
        let elapsed = Date().timeIntervalSince(started)
        sampling.cancel()
        let peak = await sampling.value
        let after = memory.residentMegabytes()

        print("\nExport connections of the server: \(exportConnections)")
        print("Exports: \(exports) at once (\(exports - exports / 2) × signatures.csv with \(signatures) rows, \(exports / 2) × reports.csv?from=2000-01-01 with \(reports) rows)")
        print(String(format: "rows exported           %d in %.1f s: %.0f rows/s over all exports (%d failed)", rows, elapsed, Double(rows) / elapsed, failures))
        print(String(format: "server RSS              before %.0f MB, peak %.0f MB during, %.0f MB after: growth %.0f MB (target < 64)", baseline, peak, after,
                     peak - baseline))
        print("\ncount.json (\(options.connections) connections, \(options.seconds) s)   requests/s   p50 ms   p99 ms   errors")
        for (name, result) in [("quiet", quiet), ("during the exports", busy)] {
            print(String(format: "%-36@ %10.0f %8.2f %8.2f %8d", name as NSString, result.rate, result.p50, result.p99, result.errors))
        }
        print(String(format: "p99 during / quiet: %.2f× (target ≤ 2×, and p99 < 50 ms)", busy.p99 / quiet.p99))
        if stillRunning < exports { print("note: only \(stillRunning) of \(exports) exports were still running when the busy measurement ended") }
    }

    // MARK: - Data

    /// 100 collecting petitions and `signatures` signatures over them (each of `signatures / 100`
    /// people signs every one), and `reports` reports, made once per database. Returns a petition.
    func seed(_ pool: PostgresPool) async throws -> Int {
        let community: Int = try await pool.query("SELECT id FROM communities WHERE slug = 'khmelnytskyi'")[0].decode("id")
        let seeded: Int = try await pool.query(
            "SELECT count(*)::int AS n FROM petition_signatures s JOIN petitions p ON p.id = s.petition_id WHERE p.title LIKE 'Export bench petition%'"
        )[0].decode("n")
        if seeded < signatures {
            print("Seeding \(signatures) signatures over \(Self.petitions) petitions and \(reports) reports…")
            let signers = signatures / Self.petitions
            try await pool.query(
                """
                INSERT INTO people (email, password_hash, full_name)
                SELECT 'export-bench-' || n || '@khmelnytskyi.demo', '-', 'Підписант Навантаження ' || n FROM generate_series(1, $1::int) n
                ON CONFLICT (email) DO NOTHING
                """, signers)
            let petitions: [Int] = try await pool.query(
                """
                INSERT INTO petitions (community_id, author_id, title, body, status, moderation_due_on, signature_threshold,
                                       collection_starts_on, collection_ends_on)
                SELECT $1, (SELECT min(id) FROM people WHERE email LIKE 'export-bench-%'), 'Export bench petition ' || n,
                       repeat('Навантажувальний тест відкритих даних петицій. ', 3), 'collecting', current_date, 10000000,
                       current_date - 1, current_date + 30
                FROM generate_series(1, $2::int) n RETURNING id
                """, community, Self.petitions).map { try $0.decode("id") }
            try await pool.query(
                """
                INSERT INTO petition_signatures (petition_id, person_id, signed_at, ip, email_domain)
                SELECT pt, p.id, now() - random() * interval '30 days', '10.0.0.1', 'khmelnytskyi.demo'
                FROM unnest($1::bigint[]) pt CROSS JOIN (SELECT id FROM people WHERE email LIKE 'export-bench-%' ORDER BY id LIMIT $2) p
                """, petitions, signers)
            try await pool.query(
                """
                INSERT INTO petition_signature_counts (petition_id, shard, signatures)
                SELECT petition_id, 0, count(*) FROM petition_signatures WHERE petition_id = ANY($1) GROUP BY petition_id
                ON CONFLICT (petition_id, shard) DO UPDATE SET signatures = EXCLUDED.signatures
                """, petitions)
            try await pool.query(
                """
                INSERT INTO reports (community_id, category_id, author_id, location, description, status, status_notes, resolved_at, created_at)
                SELECT c.community_id, c.id, (SELECT min(id) FROM people WHERE email LIKE 'export-bench-%'),
                       ST_SetSRID(ST_MakePoint(26.93 + random() * 0.11, 49.39 + random() * 0.07), 4326),
                       'Навантажувальний тест відкритих даних, звернення ' || n, 'resolved', NULL, now(), now() - random() * interval '730 days'
                FROM generate_series(1, $1::int) AS n
                JOIN LATERAL (SELECT id, community_id FROM report_categories WHERE community_id = $2 ORDER BY id OFFSET n % 6 LIMIT 1) c ON true
                """, reports, community)
            try await pool.query("VACUUM ANALYZE")
        }
        return try await pool.query("SELECT min(id) AS id FROM petitions WHERE title LIKE 'Export bench petition%'")[0].decode("id")
    }

    // MARK: - Measuring

    /// `count.json` under wrk for `seconds`: rate and latency percentiles in milliseconds.
    func wrk(_ path: String, seconds: Int, work: URL) throws -> (rate: Double, p50: Double, p99: Double, errors: Int) {
        let script = work.appendingPathComponent("percentiles.lua")
        try Self.percentilesScript.write(to: script, atomically: true, encoding: .utf8)
        let output = try HTTPLoad.run(options.wrk, ["-t2", "-c\(options.connections)", "-d\(seconds)s", "-s", script.path,
                                                    "http://127.0.0.1:\(options.port)\(path)"])
        func value(_ label: String) -> Double {
            output.split(separator: "\n").first { $0.hasPrefix(label) }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? .nan
        }
        return (value("Requests/sec:"), value("P50"), value("P99"), Int(value("ERRORS")))
    }

    static let percentilesScript = """
        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("P50 %.3f\\nP99 %.3f\\nERRORS %d\\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                                 e.connect + e.read + e.write + e.status + e.timeout))
        end
        """
}

/// One full export downloaded by curl into a file.
struct Download {
    let process = Process()
    let file: URL

    init(path: String, port: Int, file: URL) throws {
        self.file = file
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sf", "-o", file.path, "http://127.0.0.1:\(port)\(path)"]
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Waits for the download; its exit status and the file's line count.
    func finish() throws -> (status: Int32, lines: Int) {
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return (process.terminationStatus, 0) }
        let lines = Int(try HTTPLoad.run("wc", ["-l", file.path]).split(separator: " ").first ?? "") ?? 0
        try? FileManager.default.removeItem(at: file)
        return (process.terminationStatus, lines)
    }
}

/// The server's resident memory from `/proc`.
struct MemorySampler: Sendable {
    let pid: Int32

    /// `VmRSS` in megabytes.
    func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }

    /// The highest reading until the task is cancelled.
    func sample(every interval: Duration) async -> Double {
        var peak = residentMegabytes()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            peak = max(peak, residentMegabytes())
        }
        return peak
    }
}
