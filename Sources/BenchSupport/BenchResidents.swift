import Foundation
import Hromada
import Postgres

/// Verified residents of the demo community for load tests, each with an API token
/// `bench-<person id>`. Made once per database and reused by every bench command.
public enum BenchResidents {
    public static func prepare(_ count: Int, pool: PostgresPool) async throws -> [Int] {
        let community: Int = try await pool.query("SELECT id FROM communities WHERE slug = 'khmelnytskyi'")[0].decode("id")
        var residents: [Int] = try await pool.query(
            "SELECT id FROM people WHERE email LIKE 'resident-bench%' ORDER BY id").map { try $0.decode("id") }
        while residents.count < count {
            let batch = min(10_000, count - residents.count)
            residents += try await pool.transaction { session in
                try await DemoData.addResidents(batch, prefix: "bench\(residents.count)", communityID: community, passwordHash: "-", on: session)
            }
        }
        let chosen = Array(residents.prefix(count))
        try await pool.query(
            """
            INSERT INTO sessions (token_hash, person_id, kind, expires_at)
            SELECT sha256(convert_to('bench-' || id, 'UTF8')), id, 'api', now() + interval '1 day' FROM unnest($1::bigint[]) AS id
            ON CONFLICT (token_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
            """, chosen)
        // Fresh bulk-loaded tables have no statistics yet; a server would plan its first statements
        // (and keep those plans) as if they were empty, which no real deployment looks like.
        try await pool.query("ANALYZE")
        return chosen
    }
}
