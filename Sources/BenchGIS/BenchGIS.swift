import ArgumentParser
import BenchSupport
import Foundation
import Postgres

/// `make bench-gis`: importing 200,000 GeoJSON features with `hromada import-layer` against
/// `psql \copy` of the same rows, then OGC API items pages of 1,000 features for city-sized boxes
/// against a plain SELECT of the same rows, in the same run.
@main
struct BenchGIS: AsyncParsableCommand {
    @OptionGroup var options: LoadOptions
    @Option(help: "Features to import.") var features: Int = 200_000
    @Option(help: "Path of psql.") var psql: String = "psql"

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: options.databaseURL), size: 2)
        let work = try LoadOptions.workDirectory("gis")
        let (geoJSON, csv) = try write(into: work)
        let community: Int = try await pool.query("SELECT id FROM communities WHERE slug = 'khmelnytskyi'")[0].decode("id")
        let department: Int = try await pool.query("SELECT id FROM departments WHERE community_id = $1 AND slug = 'street-lighting'", community)[0].decode("id")
        try await pool.query(
            """
            INSERT INTO gis_registers (community_id, code, name_uk, name_en, department_id, geometry_type, attribute_schema)
            VALUES ($1, 'bench-lights', 'Навантажувальний реєстр', 'Bench register', $2, 'point',
                    '[{"name": "power_w", "type": "integer", "label_uk": "Потужність", "label_en": "Power"}, {"name": "street", "type": "text", "label_uk": "Вулиця", "label_en": "Street"}]')
            """, community, department)

        print("Importing \(features) GeoJSON features…")
        let importStart = Date()
        let output = try HTTPLoad.run(options.hromada, ["import-layer", geoJSON.path, "--community", "khmelnytskyi", "--register", "bench-lights",
                                                        "--database-url", options.databaseURL])
        let importSeconds = Date().timeIntervalSince(importStart)
        print(output.split(separator: "\n").last { $0.contains("inserted") } ?? "")
        try await pool.query("DROP TABLE IF EXISTS bench_copy")
        try await pool.query("CREATE TABLE bench_copy (source_id text, lon float8, lat float8, power_w int, street text)")
        let copyStart = Date()
        _ = try HTTPLoad.run(psql, [options.databaseURL, "-c", "\\copy bench_copy FROM '\(csv.path)' CSV HEADER"])
        let copySeconds = Date().timeIntervalSince(copyStart)
        print(String(format: "import-layer: %.1f s (%.0f features/s); psql \\copy of the same rows: %.1f s; ratio %.1f×",
                     importSeconds, Double(features) / importSeconds, copySeconds, importSeconds / copySeconds))
        try await pool.query("ANALYZE gis_objects")

        let load = options.load
        let server = try load.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        try await load.waitUntilReady()
        print("\nItems pages of 1,000 features, random boxes (wrk, \(options.connections) connections, \(options.seconds) s)")
        print("view                     requests/s   p50 ms   p95 ms   p99 ms")
        for (name, span) in [("city (0.11° × 0.07°)", 1.0), ("district (0.02° × 0.013°)", 0.18)] {
            var measured = load
            for clients in [2, options.connections] {
                measured.connections = clients
                let result = try measured.runLatencies(path: "/ogc/khmelnytskyi/collections/bench-lights/items?limit=1000", boxSpan: span, work: work)
                print(String(format: "%-22@ %2d %10.0f %8.2f %8.2f %8.2f", name as NSString, clients, result.rate, result.p50, result.p95, result.p99))
            }
        }
        var times: [Double] = []
        for _ in 0..<100 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await pool.query(
                """
                SELECT o.id, ST_AsGeoJSON(o.geometry, 6), o.attributes FROM gis_objects o JOIN gis_registers r ON r.id = o.register_id
                WHERE r.code = 'bench-lights' AND o.geometry && ST_MakeEnvelope(26.93, 49.39, 27.04, 49.46, 4326) ORDER BY o.id LIMIT 1000
                """)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
        }
        times.sort()
        print(String(format: "baseline SELECT of the same 1,000 rows through the driver: p50 %.2f ms, p95 %.2f ms", times[50], times[95]))
        await pool.shutdown()
    }

    /// The same features as GeoJSON and as CSV, at random points over the city.
    func write(into work: URL) throws -> (URL, URL) {
        var generator = SystemRandomNumberGenerator()
        let streets = ["Проскурівська", "Кам'янецька", "Подільська", "Зарічанська"]
        var json = #"{"type":"FeatureCollection","features":["#
        var csv = "source_id,lon,lat,power_w,street\n"
        for n in 0..<features {
            let lon = 26.93 + Double.random(in: 0..<0.11, using: &generator), lat = 49.39 + Double.random(in: 0..<0.07, using: &generator)
            let power = [60, 100, 150][n % 3], street = streets[n % 4]
            if n > 0 { json += "," }
            json += String(format: #"{"type":"Feature","id":"B-%d","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"power_w":%d,"street":"%@"}}"#,
                           n, lon, lat, power, street)
            csv += String(format: "B-%d,%.6f,%.6f,%d,%@\n", n, lon, lat, power, street)
        }
        json += "]}"
        let geoJSON = work.appendingPathComponent("bench.geojson"), csvFile = work.appendingPathComponent("bench.csv")
        try json.write(to: geoJSON, atomically: true, encoding: .utf8)
        try csv.write(to: csvFile, atomically: true, encoding: .utf8)
        return (geoJSON, csvFile)
    }
}
