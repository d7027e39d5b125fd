import ArgumentParser
import Foundation
import Hromada
import Postgres

/// `make bench-sign`: signing over HTTP with wrk, spread over 100 petitions and all on one,
/// against pgbench inserting the same row shape into the same server in the same run.
@main
struct BenchSign: AsyncParsableCommand {
    @Option(help: "PostgreSQL URL of a scratch database with the demo data loaded.") var databaseURL: String
    @Option(help: "The release build of hromada.") var hromada: String = ".build/release/hromada"
    @Option(help: "Path of wrk.") var wrk: String = "wrk"
    @Option(help: "Path of pgbench.") var pgbench: String = "pgbench"
    @Option(help: "HTTP connections (and pgbench clients).") var connections: Int = 64
    @Option(help: "Seconds per measurement.") var seconds: Int = 5
    @Option(help: "Interleaved rounds; the median of each figure is reported.") var rounds: Int = 3
    @Option(help: "Port for the server under test.") var port: Int = 8091
    @Option(help: "Only prepare the data and write the (token, petition) pairs to this folder.") var prepareOnly: String?

    static let spreadSigners = 3_200
    static let signaturesPerSpreadSigner = 25
    static let singleSigners = 70_000

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: databaseURL), size: 4)
        let work = prepareOnly.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("hromada-bench-sign-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        print("Preparing \(Self.spreadSigners + Self.singleSigners) verified residents with API tokens and 101 petitions…")
        let (spread, single) = try await prepare(pool, into: work)
        try Self.luaScript.write(to: work.appendingPathComponent("sign.lua"), atomically: true, encoding: .utf8)
        if prepareOnly != nil {
            print("Pairs written to \(spread.path) and \(single.path)")
            await pool.shutdown()
            return
        }

        let server = try startServer()
        defer { server.terminate(); server.waitUntilExit() }
        try await waitUntilReady()

        print("\nSigning over HTTP: \(connections) connections, \(seconds) s each, \(rounds) interleaved rounds (POST /api/v1/khmelnytskyi/petitions/{id}/signatures)")
        var spreadRuns: [WrkResult] = []
        var singleRuns: [WrkResult] = []
        var references: [Double] = []
        for _ in 0..<rounds {
            spreadRuns.append(try runWrk(pairs: spread, round: spreadRuns.count, script: work.appendingPathComponent("sign.lua")))
            singleRuns.append(try runWrk(pairs: single, round: singleRuns.count, script: work.appendingPathComponent("sign.lua")))
            references.append(try await pgbenchRate(pool: pool, work: work))
        }
        let spreadResult = Self.median(spreadRuns)
        let singleResult = Self.median(singleRuns)
        let reference = references.sorted()[references.count / 2]
        let rows = try await pool.query(
            "SELECT count(*) AS n FROM petition_signatures s JOIN petitions p ON p.id = s.petition_id WHERE p.title LIKE 'Bench petition%'"
        )[0].decode("n", as: Int.self)

        print("\ncase                 signatures/s   p50 ms   p99 ms   non-2xx   ratio to pgbench")
        for (name, result) in [("spread (100)", spreadResult), ("one petition", singleResult)] {
            print(String(format: "%-20@ %12.0f %8.2f %8.2f %9d %10.2f", name as NSString, result.rate, result.p50, result.p99, result.errors, result.rate / reference))
        }
        print(String(format: "pgbench INSERT      %12.0f  (same row shape, %d clients × 400, median)", reference, connections))
        print("signature rows stored: \(rows)")
        await pool.shutdown()
    }

    // MARK: - Data

    func prepare(_ pool: PostgresPool, into work: URL) async throws -> (spread: URL, single: URL) {
        let community: Int = try await pool.query("SELECT id FROM communities WHERE slug = 'khmelnytskyi'")[0].decode("id")
        try await pool.query("DELETE FROM petition_signature_counts WHERE petition_id IN (SELECT id FROM petitions WHERE title LIKE 'Bench petition%')")
        try await pool.query("DELETE FROM petition_signatures WHERE petition_id IN (SELECT id FROM petitions WHERE title LIKE 'Bench petition%')")
        try await pool.query("DELETE FROM petition_events WHERE petition_id IN (SELECT id FROM petitions WHERE title LIKE 'Bench petition%')")
        try await pool.query("DELETE FROM petitions WHERE title LIKE 'Bench petition%'")
        var residents: [Int] = try await pool.query(
            "SELECT id FROM people WHERE email LIKE 'resident-bench%' ORDER BY id").map { try $0.decode("id") }
        let needed = Self.spreadSigners + Self.singleSigners
        while residents.count < needed {
            let batch = min(10_000, needed - residents.count)
            residents += try await pool.transaction { session in
                try await DemoData.addResidents(batch, prefix: "bench\(residents.count)", communityID: community, passwordHash: "-", on: session)
            }
        }
        try await pool.query(
            """
            INSERT INTO sessions (token_hash, person_id, kind, expires_at)
            SELECT sha256(convert_to('bench-' || id, 'UTF8')), id, 'api', now() + interval '1 day' FROM unnest($1::bigint[]) AS id
            ON CONFLICT (token_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
            """, residents)
        let petitions: [Int] = try await pool.query(
            """
            INSERT INTO petitions (community_id, author_id, title, body, status, moderation_due_on, signature_threshold,
                                   collection_starts_on, collection_ends_on)
            SELECT $1, $2, 'Bench petition ' || n, repeat('Навантажувальний тест підписання петиції. ', 3), 'collecting',
                   current_date, 1000000, current_date - 1, current_date + 30
            FROM generate_series(1, 101) AS n RETURNING id
            """, community, residents[0]).map { try $0.decode("id") }
        var spread = ""
        for (index, person) in residents.prefix(Self.spreadSigners).enumerated() {
            for k in 0..<Self.signaturesPerSpreadSigner {
                spread += "bench-\(person) \(petitions[(index * 7 + k * 4) % 100])\n"
            }
        }
        var single = ""
        for person in residents.dropFirst(Self.spreadSigners) { single += "bench-\(person) \(petitions[100])\n" }
        let spreadFile = work.appendingPathComponent("spread.pairs")
        let singleFile = work.appendingPathComponent("single.pairs")
        try Self.shuffledLines(spread).write(to: spreadFile, atomically: true, encoding: .utf8)
        try single.write(to: singleFile, atomically: true, encoding: .utf8)
        return (spreadFile, singleFile)
    }

    static func shuffledLines(_ text: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return text.split(separator: "\n").shuffled(using: &generator).joined(separator: "\n") + "\n"
    }

    // MARK: - Server

    func startServer() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: hromada)
        process.arguments = ["serve", "--database-url", databaseURL, "--port", String(port)]
        var environment = ProcessInfo.processInfo.environment
        environment["HROMADA_RATE_LIMIT_EXEMPT"] = "127.0.0.1"
        environment["HROMADA_SECRET_KEY"] = environment["HROMADA_SECRET_KEY"] ?? String(repeating: "b", count: 40)
        environment["LOG_LEVEL"] = "warning"
        environment["HROMADA_DB_POOL_SIZE"] = "16"
        process.environment = environment
        try process.run()
        return process
    }

    func waitUntilReady() async throws {
        for _ in 0..<100 {
            if (try? Self.run("curl", ["-sf", "http://127.0.0.1:\(port)/readyz"])) != nil { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("the server did not become ready")
    }

    // MARK: - Load

    struct WrkResult {
        var rate: Double
        var p50: Double
        var p99: Double
        var errors: Int
    }

    /// The median of each figure over the rounds; errors are summed.
    static func median(_ runs: [WrkResult]) -> WrkResult {
        func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return WrkResult(rate: middle(runs.map(\.rate)), p50: middle(runs.map(\.p50)), p99: middle(runs.map(\.p99)),
                         errors: runs.map(\.errors).reduce(0, +))
    }

    /// Each round signs its own share of the pairs, so no round repeats a signature.
    func runWrk(pairs: URL, round: Int, script: URL) throws -> WrkResult {
        let output = try Self.run(wrk, [
            "-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)", "--", pairs.path,
            String(round), String(rounds),
        ])
        func milliseconds(_ label: String) -> Double {
            guard let line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
                let value = line.split(separator: " ", omittingEmptySubsequences: true).last
            else { return .nan }
            let text = String(value)
            if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? .nan }
            if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? .nan) / 1000 }
            if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? .nan) * 1000 }
            return .nan
        }
        let rate = output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        let errors = output.split(separator: "\n").first { $0.contains("Non-2xx or 3xx responses:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        return WrkResult(rate: rate, p50: milliseconds("50%"), p99: milliseconds("99%"), errors: errors)
    }

    func pgbenchRate(pool: PostgresPool, work: URL) async throws -> Double {
        let script = work.appendingPathComponent("insert.sql")
        try """
            \\set person random(1, 1000000000)
            \\set petition random(1, 100)
            INSERT INTO bench_signature_rows (petition_id, person_id, ip, email_domain) VALUES (:petition, :person, '127.0.0.1', 'khmelnytskyi.demo') ON CONFLICT DO NOTHING;
            """.write(to: script, atomically: true, encoding: .utf8)
        try await pool.query("DROP TABLE IF EXISTS bench_signature_rows")
        try await pool.query("CREATE TABLE bench_signature_rows (LIKE petition_signatures INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        // A fixed number of transactions per client: pgbench's -T did not always stop on this machine.
        let output = try Self.run(pgbench, ["-n", "-f", script.path, "-c", String(connections), "-j", "2", "-t", "400", databaseURL])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let rate = Double(line.dropFirst(6).split(separator: " ")[0])
        else { throw ValidationError("pgbench printed no rate:\n\(output)") }
        return rate
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(executable) failed:\n\(output)") }
        return output
    }

    /// Each wrk thread walks its own share of the (token, petition) pairs, so every request is a
    /// new signature.
    static let luaScript = """
        local pairs_list = {}
        local position = 0
        local stride = 1
        local counter = 0
        function setup(thread)
          counter = counter + 1
          thread:set("offset", counter)
        end
        function init(args)
          for line in io.lines(args[1]) do
            local token, petition = line:match("(%S+) (%S+)")
            pairs_list[#pairs_list + 1] = { token, petition }
          end
          local share = math.floor(#pairs_list / tonumber(args[3]))
          position = tonumber(args[2]) * share + (offset or 1)
          stride = 2
        end
        function request()
          local pair = pairs_list[position]
          position = position + stride
          if position > #pairs_list then position = position - #pairs_list end
          return wrk.format("POST", "/api/v1/khmelnytskyi/petitions/" .. pair[2] .. "/signatures",
            { ["Authorization"] = "Bearer " .. pair[1] }, "")
        end
        """
}
