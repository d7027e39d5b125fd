import ArgumentParser
import BenchSupport
import Foundation
import Postgres

/// `make bench-map`: the Open City map endpoint over 100,000 reports, with bounding boxes the
/// size of the whole city and of a few streets, against a plain `SELECT count(*)` of the reports
/// in the same run.
@main
struct BenchMap: AsyncParsableCommand {
    @OptionGroup var options: LoadOptions
    @Option(help: "Reports to seed.") var reports: Int = 100_000

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: options.databaseURL), size: 2)
        let work = try LoadOptions.workDirectory("map")
        print("Seeding \(reports) reports over Khmelnytskyi…")
        try await seed(pool)

        let load = options.load
        let server = try load.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        try await load.waitUntilReady()

        print("\nview                        connections   requests/s   p50 ms   p95 ms   p99 ms   features")
        for (name, span) in [("city (0.11° × 0.07°)", 1.0), ("district (0.02° × 0.013°)", 0.18), ("streets (0.005° × 0.003°)", 0.045)] {
            let features = try featureCount(span: span)
            for clients in [2, options.connections] {
                var measured = load
                measured.connections = clients
                let result = try measured.runLatencies(path: "/khmelnytskyi/reports.geojson", boxSpan: span, work: work)
                print(String(format: "%-27@ %11d %12.0f %8.2f %8.2f %8.2f   %@", name as NSString, clients, result.rate, result.p50, result.p95,
                             result.p99, features as NSString))
            }
        }
        let baseline = try await countBaseline(pool)
        print(String(format: "baseline SELECT count(*) of %d reports through the driver: p50 %.2f ms, p95 %.2f ms", baseline.count, baseline.p50, baseline.p95))
        await pool.shutdown()
    }

    /// Reports at random points inside the city, in every category and status, over two years.
    func seed(_ pool: PostgresPool) async throws {
        try await pool.query(
            """
            INSERT INTO reports (community_id, category_id, author_id, location, description, status, status_notes, resolved_at, created_at)
            SELECT c.community_id, c.id, (SELECT min(id) FROM people WHERE email LIKE 'resident-demo-%'),
                   ST_SetSRID(ST_MakePoint(26.93 + random() * 0.11, 49.39 + random() * 0.07), 4326),
                   'Навантажувальний тест мапи, звернення ' || n, s.status,
                   CASE WHEN s.status IN ('rejected', 'not_resolved') THEN 'тест' END,
                   CASE WHEN s.status = 'resolved' THEN now() END, now() - random() * interval '730 days'
            FROM generate_series(1, $1) AS n
            JOIN LATERAL (SELECT id, community_id FROM report_categories WHERE community_id = (SELECT id FROM communities WHERE slug = 'khmelnytskyi')
                          ORDER BY id OFFSET n % 6 LIMIT 1) c ON true
            JOIN LATERAL (SELECT (ARRAY['new', 'accepted', 'in_progress', 'resolved', 'rejected', 'not_resolved'])[1 + n % 6] AS status) s ON true
            """, reports)
        try await pool.query("ANALYZE reports")
    }

    func featureCount(span: Double) throws -> String {
        let box = "\(26.93 + 0.055 - 0.055 * span),\(49.39 + 0.035 - 0.035 * span),\(26.93 + 0.055 + 0.055 * span),\(49.39 + 0.035 + 0.035 * span)"
        let body = try HTTPLoad.run("curl", ["-sf", "http://127.0.0.1:\(options.port)/khmelnytskyi/reports.geojson?bbox=\(box)"])
        let count = body.components(separatedBy: #""type":"Feature""#).count - 1
        return body.contains(#""truncated":true"#) ? "\(count) (more: zoom in)" : String(count)
    }

    func countBaseline(_ pool: PostgresPool) async throws -> (count: Int, p50: Double, p95: Double) {
        var times: [Double] = []
        var count = 0
        for _ in 0..<200 {
            let start = DispatchTime.now().uptimeNanoseconds
            count = try await pool.query("SELECT count(*)::int AS n FROM reports")[0].decode("n")
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
        }
        times.sort()
        return (count, times[times.count / 2], times[times.count * 95 / 100])
    }
}
