import ArgumentParser
import BenchSupport
import Foundation
import Hromada
import Postgres

/// `make bench-sign`: signing over HTTP with wrk, spread over 100 petitions and all on one,
/// against pgbench inserting the same row shape into the same server in the same run.
@main
struct BenchSign: AsyncParsableCommand {
    @OptionGroup var options: LoadOptions
    @Option(help: "Only prepare the data and write the (token, petition) pairs to this folder.") var prepareOnly: String?

    // Enough that three 5-second rounds at 13,000 signatures/s never run out of unsigned pairs.
    static let spreadSigners = 8_000
    static let signaturesPerSpreadSigner = 25
    static let singleSigners = 200_000

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: options.databaseURL), size: 4)
        let work = try LoadOptions.workDirectory("sign", chosen: prepareOnly)
        print("Preparing \(Self.spreadSigners + Self.singleSigners) verified residents with API tokens and 101 petitions…")
        let (spread, single) = try await prepare(pool, into: work)
        if prepareOnly != nil {
            print("Pairs written to \(spread.path) and \(single.path)")
            await pool.shutdown()
            return
        }

        let load = options.load
        let server = try load.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        try await load.waitUntilReady()
        let path = "/api/v1/khmelnytskyi/petitions/%s/signatures"

        print("\nSigning over HTTP: \(options.connections) connections, \(options.seconds) s each, \(options.rounds) interleaved rounds (POST /api/v1/khmelnytskyi/petitions/{id}/signatures)")
        var spreadRuns: [HTTPLoad.WrkResult] = []
        var singleRuns: [HTTPLoad.WrkResult] = []
        var references: [Double] = []
        for _ in 0..<options.rounds {
            spreadRuns.append(try load.runWrk(pairs: spread, round: spreadRuns.count, pathTemplate: path, work: work))
            singleRuns.append(try load.runWrk(pairs: single, round: singleRuns.count, pathTemplate: path, work: work))
            references.append(try await load.pgbenchInsertRate(into: "bench_signature_rows", like: "petition_signatures", script: Self.pgbenchScript, pool: pool, work: work))
        }
        let reference = HTTPLoad.median(references)
        let rows = try await pool.query(
            "SELECT count(*) AS n FROM petition_signatures s JOIN petitions p ON p.id = s.petition_id WHERE p.title LIKE 'Bench petition%'"
        )[0].decode("n", as: Int.self)

        print("\ncase                 signatures/s   p50 ms   p99 ms   non-2xx   ratio to pgbench (median of rounds; each round)")
        for (name, runs) in [("spread (100)", spreadRuns), ("one petition", singleRuns)] {
            let result = HTTPLoad.median(runs)
            let ratios = HTTPLoad.ratios(runs, to: references)
            print(String(format: "%-20@ %12.0f %8.2f %8.2f %9d %10.2f   (%@)", name as NSString, result.rate, result.p50, result.p99, result.errors,
                         ratios.median, ratios.eachRound as NSString))
        }
        print(String(format: "pgbench INSERT      %12.0f  (same row shape, %d clients × %d, median)", reference, options.connections,
                     HTTPLoad.pgbenchTransactionsPerClient))
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
        let residents = try await BenchResidents.prepare(Self.spreadSigners + Self.singleSigners, pool: pool)
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
        try HTTPLoad.shuffledLines(spread).write(to: spreadFile, atomically: true, encoding: .utf8)
        try single.write(to: singleFile, atomically: true, encoding: .utf8)
        return (spreadFile, singleFile)
    }

    static let pgbenchScript = """
        \\set person random(1, 1000000000)
        \\set petition random(1, 100)
        INSERT INTO bench_signature_rows (petition_id, person_id, ip, email_domain) VALUES (:petition, :person, '127.0.0.1', 'khmelnytskyi.demo') ON CONFLICT DO NOTHING;
        """
}
