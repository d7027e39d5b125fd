import Foundation
import Postgres

/// Drives a release build of the server with wrk and measures pgbench against the same
/// PostgreSQL in the same run, for the `bench-*` commands.
public struct HTTPLoad: Sendable {
    public var databaseURL: String
    public var hromada: String
    public var wrk: String
    public var pgbench: String
    public var connections: Int
    public var seconds: Int
    public var rounds: Int
    public var port: Int

    public init(databaseURL: String, hromada: String, wrk: String, pgbench: String, connections: Int, seconds: Int, rounds: Int, port: Int) {
        self.databaseURL = databaseURL
        self.hromada = hromada
        self.wrk = wrk
        self.pgbench = pgbench
        self.connections = connections
        self.seconds = seconds
        self.rounds = rounds
        self.port = port
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: - Server

    /// Starts `hromada serve` on the bench port with rate limits lifted for loopback.
    public func startServer() throws -> Process {
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

    public func waitUntilReady() async throws {
        for _ in 0..<100 {
            if (try? Self.run("curl", ["-sf", "http://127.0.0.1:\(port)/readyz"])) != nil { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure("the server did not become ready")
    }

    // MARK: - Load

    public struct WrkResult: Sendable {
        /// Requests per second answered with success (2xx or 3xx, as wrk counts them).
        public var rate: Double
        public var p50: Double
        public var p99: Double
        public var errors: Int
    }

    /// The median of each figure over the rounds; errors are summed.
    public static func median(_ runs: [WrkResult]) -> WrkResult {
        WrkResult(rate: median(runs.map(\.rate)), p50: median(runs.map(\.p50)), p99: median(runs.map(\.p99)),
                  errors: runs.map(\.errors).reduce(0, +))
    }

    public static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// The median of each round's rate over that round's reference. The machine's speed drifts
    /// between rounds (other load, a neighbour on the host); a round's two figures share its drift.
    public static func ratios(_ runs: [WrkResult], to references: [Double]) -> (median: Double, eachRound: String) {
        let ratios = zip(runs, references).map { $0.rate / $1 }
        return (median(ratios), ratios.map { String(format: "%.2f", $0) }.joined(separator: " "))
    }

    /// POSTs to `pathTemplate` (its `%s` replaced by the second field of each line of `pairs`) with
    /// the first field as bearer token. Each round takes its own share of the pairs, so no round
    /// repeats a request.
    public func runWrk(pairs: URL, round: Int, pathTemplate: String, work: URL) throws -> WrkResult {
        let script = work.appendingPathComponent("post-pairs.lua")
        try Self.luaScript.write(to: script, atomically: true, encoding: .utf8)
        let output = try Self.run(wrk, [
            "-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)", "--", pairs.path,
            String(round), String(rounds), pathTemplate,
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
        let requests = output.split(separator: "\n").first { $0.contains(" requests in ") }
            .flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        let errors = output.split(separator: "\n").first { $0.contains("Non-2xx or 3xx responses:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        // Only answered requests count: a refused one did not sign or vote.
        let answeredRate = requests > 0 ? rate * Double(requests - errors) / Double(requests) : 0
        return WrkResult(rate: answeredRate, p50: milliseconds("50%"), p99: milliseconds("99%"), errors: errors)
    }

    public struct LatencyResult: Sendable {
        public var rate: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double
    }

    /// GETs `path` with a random bounding box inside Khmelnytskyi whose sides are `boxSpan` times
    /// the city's (0.11° × 0.07°), and reports the latency percentiles in milliseconds.
    public func runLatencies(path: String, boxSpan: Double, work: URL) throws -> LatencyResult {
        let script = work.appendingPathComponent("bbox.lua")
        try Self.boundingBoxScript.write(to: script, atomically: true, encoding: .utf8)
        let output = try Self.run(wrk, ["-t2", "-c\(connections)", "-d\(seconds)s", "-s", script.path, "http://127.0.0.1:\(port)", "--", path,
                                        String(boxSpan)])
        func value(_ label: String) -> Double {
            output.split(separator: "\n").first { $0.hasPrefix(label) }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? .nan
        }
        return LatencyResult(rate: value("Requests/sec:"), p50: value("P50"), p95: value("P95"), p99: value("P99"))
    }

    static let boundingBoxScript = """
        local path, span = "", 1
        local counter = 0
        function setup(thread)
          counter = counter + 1
          thread:set("seed", counter)
        end
        function init(args)
          path = args[1]
          span = tonumber(args[2])
          math.randomseed(os.time() * 100 + (seed or 0))
        end
        function request()
          local w, h = 0.11 * span, 0.07 * span
          local west = 26.93 + math.random() * (0.11 - w)
          local south = 49.39 + math.random() * (0.07 - h)
          local separator = string.find(path, "?", 1, true) and "&" or "?"
          return wrk.format("GET", string.format("%s%sbbox=%.6f,%.6f,%.6f,%.6f", path, separator, west, south, west + w, south + h))
        end
        function done(summary, latency, requests)
          io.write(string.format("P50 %.3f\\nP95 %.3f\\nP99 %.3f\\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000,
                                 latency:percentile(99) / 1000))
        end
        """

    /// Transactions each pgbench client runs: a fixed count, as pgbench's -T did not always stop on
    /// this machine; a few seconds' worth, so one slow second weighs little.
    public static let pgbenchTransactionsPerClient = 1_000

    /// Transactions per second of pgbench running `script`.
    public func pgbenchRate(script text: String, work: URL) throws -> Double {
        let script = work.appendingPathComponent("pgbench.sql")
        try text.write(to: script, atomically: true, encoding: .utf8)
        let output = try Self.run(pgbench, ["-n", "-f", script.path, "-c", String(connections), "-j", "2",
                                            "-t", String(Self.pgbenchTransactionsPerClient), databaseURL])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let rate = Double(line.dropFirst(6).split(separator: " ")[0])
        else { throw Failure("pgbench printed no rate:\n\(output)") }
        return rate
    }

    /// pgbench's rate inserting into `scratch`, recreated empty with the columns, defaults,
    /// constraints and indexes of `table` so the reference does the same index work as the server.
    public func pgbenchInsertRate(into scratch: String, like table: String, script: String, pool: PostgresPool, work: URL) async throws -> Double {
        try await pool.query("DROP TABLE IF EXISTS \(scratch)")
        try await pool.query("CREATE TABLE \(scratch) (LIKE \(table) INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        return try pgbenchRate(script: script, work: work)
    }

    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure("\(executable) failed:\n\(output)") }
        return output
    }

    public static func shuffledLines(_ text: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return text.split(separator: "\n").shuffled(using: &generator).joined(separator: "\n") + "\n"
    }

    /// Each wrk thread walks its own share of the (token, id) pairs.
    static let luaScript = """
        local pairs_list = {}
        local position = 0
        local stride = 1
        local counter = 0
        local template = ""
        function setup(thread)
          counter = counter + 1
          thread:set("offset", counter)
        end
        function init(args)
          for line in io.lines(args[1]) do
            local token, id = line:match("(%S+) (%S+)")
            pairs_list[#pairs_list + 1] = { token, id }
          end
          local share = math.floor(#pairs_list / tonumber(args[3]))
          position = tonumber(args[2]) * share + (offset or 1)
          stride = 2
          template = args[4]
        end
        function request()
          local pair = pairs_list[position]
          position = position + stride
          if position > #pairs_list then position = position - #pairs_list end
          return wrk.format("POST", string.format(template, pair[2]), { ["Authorization"] = "Bearer " .. pair[1] }, "")
        end
        """
}
