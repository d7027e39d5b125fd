import ArgumentParser
import BenchSupport
import Foundation
import Hromada
import Postgres

/// `make bench-vote`: budget voting over HTTP with wrk (distinct verified voters, several votes
/// each, spread over 200 admitted projects) against pgbench's plain INSERT of the vote row into
/// the same server in the same run; then the tally of a million ballots.
@main
struct BenchVote: AsyncParsableCommand {
    @OptionGroup var options: LoadOptions
    @Option(help: "Only prepare the data and write the (token, project) pairs to this folder.") var prepareOnly: String?

    static let voters = 40_000
    static let votesPerVoter = 5
    static let projects = 200
    static let tallyBallots = 1_000_000

    func run() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: options.databaseURL), size: 4)
        let work = try LoadOptions.workDirectory("vote", chosen: prepareOnly)
        print("Preparing \(Self.voters) verified voters with API tokens and a cycle with \(Self.projects) admitted projects…")
        let pairs = try await prepare(pool, into: work)
        if prepareOnly != nil {
            print("Pairs written to \(pairs.path)")
            await pool.shutdown()
            return
        }

        let load = options.load
        let server = try load.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        try await load.waitUntilReady()

        print("\nVoting over HTTP: \(options.connections) connections, \(options.seconds) s each, \(options.rounds) interleaved rounds (POST /api/v1/khmelnytskyi/budget/projects/{id}/votes)")
        var runs: [HTTPLoad.WrkResult] = []
        var references: [Double] = []
        for _ in 0..<options.rounds {
            runs.append(try load.runWrk(pairs: pairs, round: runs.count, pathTemplate: "/api/v1/khmelnytskyi/budget/projects/%s/votes", work: work))
            references.append(try await load.pgbenchInsertRate(into: "bench_vote_rows", like: "budget_votes", script: Self.pgbenchScript, pool: pool, work: work))
        }
        let result = HTTPLoad.median(runs)
        let reference = HTTPLoad.median(references)
        let stored: Int = try await pool.query(
            "SELECT count(*)::int AS n FROM budget_votes v JOIN budget_cycles c ON c.id = v.cycle_id WHERE c.title = 'Bench cycle'")[0].decode("n")
        let overLimit: Int = try await pool.query(
            """
            SELECT count(*)::int AS n FROM (SELECT person_id FROM budget_votes v JOIN budget_cycles c ON c.id = v.cycle_id
            WHERE c.title = 'Bench cycle' GROUP BY person_id HAVING count(*) > $1) over
            """, Self.votesPerVoter)[0].decode("n")
        let ratios = HTTPLoad.ratios(runs, to: references)
        print("\ncase                 votes/s   p50 ms   p99 ms   non-2xx   ratio to pgbench (median of rounds; each round)")
        print(String(format: "vote over HTTP  %12.0f %8.2f %8.2f %9d %10.2f   (%@)", result.rate, result.p50, result.p99, result.errors,
                     ratios.median, ratios.eachRound as NSString))
        print(String(format: "pgbench INSERT  %12.0f  (the vote row, %d clients × %d, median)", reference, options.connections,
                     HTTPLoad.pgbenchTransactionsPerClient))
        print("vote rows stored: \(stored); voters over their limit: \(overLimit)")
        await pool.shutdown()

        tallyBenchmark()
    }

    /// A million ballots of one to five projects over 200 projects in four categories: counting
    /// and the greedy tally, against one pass over the same ballots summing their lengths.
    func tallyBenchmark() {
        var generator = SystemRandomNumberGenerator()
        let ballots: [[Int]] = (0..<Self.tallyBallots).map { _ in
            Array(Set((0..<Int.random(in: 1...5, using: &generator)).map { _ in Int.random(in: 1...Self.projects, using: &generator) }))
        }
        let submitted = Date()
        func timed<T>(_ body: () -> T) -> (T, Double) {
            let start = DispatchTime.now().uptimeNanoseconds
            let value = body()
            return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
        }
        var passes: [Double] = []
        var tallies: [Double] = []
        var winners = 0
        var checksum = 0
        for _ in 0..<3 {
            // The baseline reads every choice of every ballot once, as counting must.
            let (sum, pass) = timed { ballots.reduce(0) { total, ballot in ballot.reduce(total, &+) } }
            checksum = sum
            let (won, tally) = timed { () -> Int in
                let votes = BudgetTally.count(ballots)
                return (0..<4).reduce(0) { total, category in
                    let candidates = (1...Self.projects).filter { $0 % 4 == category }.map {
                        BudgetTally.Candidate(projectID: $0, votes: votes[$0] ?? 0, cost: 50_000_00 + $0 * 1_000_00, submittedAt: submitted)
                    }
                    return total + BudgetTally.tally(candidates, budget: 1_000_000_00).filter { $0.outcome == .won }.count
                }
            }
            passes.append(pass)
            tallies.append(tally)
            winners = won
        }
        let pass = HTTPLoad.median(passes), tally = HTTPLoad.median(tallies)
        print("\nTally of \(Self.tallyBallots) ballots over \(Self.projects) projects (median of 3): \(String(format: "%.0f", tally)) ms, \(winners) winners")
        print(String(format: "one pass summing the same ballots' choices: %.0f ms (sum %d); tally / pass = %.1f", pass, checksum, tally / max(pass, 0.001)))
    }

    /// A cycle in voting (five votes per voter across the cycle) with 200 admitted projects, and
    /// for each voter five distinct projects, written as (token, project) pairs in random order.
    func prepare(_ pool: PostgresPool, into work: URL) async throws -> URL {
        let residents = try await BenchResidents.prepare(Self.voters, pool: pool)
        let cycle: Int = try await pool.transaction { session in
            let community: Int = try await session.query("SELECT id FROM communities WHERE slug = 'khmelnytskyi'")[0].decode("id")
            let department: Int = try await session.query(
                "SELECT id FROM departments WHERE community_id = $1 ORDER BY id LIMIT 1", community)[0].decode("id")
            let cycle: Int = try await session.query(
                """
                INSERT INTO budget_cycles (community_id, title, submission_starts_on, review_starts_on, voting_starts_on, results_starts_on,
                    implementation_starts_on, maximum_project_cost, author_minimum_age, maximum_projects_per_author, voter_minimum_age,
                    votes_per_voter, vote_scope, counts_visible_while_voting)
                VALUES ($1, 'Bench cycle', current_date - 30, current_date - 20, current_date - 1, current_date + 30, current_date + 60,
                        15000000, 16, 2, 16, $2, 'cycle', true) RETURNING id
                """, community, Self.votesPerVoter)[0].decode("id")
            let categories: [Int] = try await session.query(
                """
                INSERT INTO budget_categories (cycle_id, community_id, name_uk, name_en, budget, department_id)
                SELECT $1, $2, 'Категорія ' || n, 'Category ' || n, 100000000, $3 FROM generate_series(1, 4) AS n RETURNING id
                """, cycle, community, department).map { try $0.decode("id") }
            try await session.query(
                """
                INSERT INTO budget_projects (cycle_id, community_id, category_id, author_id, title, description, estimated_cost, status)
                SELECT $1, $2, ($3::bigint[])[1 + n % 4], $4, 'Bench project ' || n, repeat('Навантажувальний тест голосування. ', 3),
                       5000000 + n * 10000, 'admitted'
                FROM generate_series(1, $5) AS n
                """, cycle, community, categories, residents[0], Self.projects)
            return cycle
        }
        let projects: [Int] = try await pool.query("SELECT id FROM budget_projects WHERE cycle_id = $1 ORDER BY id", cycle).map { try $0.decode("id") }
        var lines = ""
        for (index, voter) in residents.enumerated() {
            for k in 0..<Self.votesPerVoter {
                lines += "bench-\(voter) \(projects[(index * 7 + k * 41) % projects.count])\n"
            }
        }
        let file = work.appendingPathComponent("votes.pairs")
        try HTTPLoad.shuffledLines(lines).write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static let pgbenchScript = """
        \\set person random(1, 1000000000)
        \\set project random(1, 200)
        INSERT INTO bench_vote_rows (project_id, person_id, cycle_id, scope_id, channel) VALUES (:project, :person, 1, 0, 'online') ON CONFLICT DO NOTHING;
        """
}
