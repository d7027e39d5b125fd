import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// 64 clients at once across the modules, with four job workers draining one queue beside them;
/// afterwards every invariant that a count, a limit or a register promises still holds.
@Suite struct ConcurrencyStormTests {
    static let clients = 64
    static let queuedJobs = 200

    /// Records which jobs ran, to show that four workers ran each one once.
    actor RunLog {
        private(set) var runs: [Int] = []
        func record(_ id: Int) { runs.append(id) }
    }

    struct CountingHandler: JobHandler {
        let kind = "test.storm"
        let log: RunLog
        func run(_ job: Job, on session: PostgresSession) async throws { await log.record(job.id) }
    }

    /// What each client's requests were answered with.
    struct Answers: Sendable {
        var signed = 0
        var votes = 0
        var votesRefused = 0
        var appeals = 0
        var comments = 0
        var reports = 0
        var failures: [String] = []

        static func + (lhs: Self, rhs: Self) -> Self {
            Answers(signed: lhs.signed + rhs.signed, votes: lhs.votes + rhs.votes, votesRefused: lhs.votesRefused + rhs.votesRefused,
                    appeals: lhs.appeals + rhs.appeals, comments: lhs.comments + rhs.comments, reports: lhs.reports + rhs.reports,
                    failures: lhs.failures + rhs.failures)
        }
    }

    @Test func invariantsHoldAfterAStorm() async throws {
        let services = try await TestApp.services(suite: "storm")
        let community = try await Fixtures.community(services)
        let petition = try await Fixtures.collectingPetition(services, threshold: 40)
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 4, votesPerVoter: 2)
        let consultation: Int = try await services.database.query(
            "SELECT id FROM consultations WHERE community_id = $1 AND starts_on <= current_date AND ends_on >= current_date ORDER BY id LIMIT 1",
            community.id)[0].decode("id")
        let voters = try await Fixtures.residents(Self.clients, services)
        var created: [String] = []
        for voter in voters {
            created.append(try await services.sessions.create(personID: voter.person.id, kind: .api, ip: nil, userAgent: nil).token)
        }
        let tokens = created
        try await services.database.transaction { session in
            for _ in 0..<Self.queuedJobs { try await services.jobs.enqueue("test.storm", on: session) }
        }
        let log = RunLog()
        let workers = (0..<4).map { JobWorker(queue: services.jobs, handlers: [CountingHandler(log: log)], workerID: "storm-\($0)",
                                              logger: services.logger) }

        let answers = try await Application(router: buildRouter(services: services)).test(.router) { client in
            try await withThrowingTaskGroup(of: Answers.self) { group in
                for worker in workers {
                    group.addTask {
                        while try await worker.runOnce() {}
                        return Answers()
                    }
                }
                for (index, token) in tokens.enumerated() {
                    group.addTask {
                        try await Self.client(index, token: token, client: client, petition: petition.id, projects: projects,
                                              consultation: consultation)
                    }
                }
                return try await group.reduce(Answers(), +)
            }
        }

        #expect(answers.failures.isEmpty, "\(answers.failures.prefix(5))")
        #expect(answers.signed == Self.clients && answers.appeals == Self.clients && answers.comments == Self.clients
                && answers.reports == Self.clients)
        // Each client asked for three projects with two votes allowed: two counted, one refused.
        #expect(answers.votes == 2 * Self.clients && answers.votesRefused == Self.clients)
        try await Self.expectCountsEqualRows(services, petition: petition.id, cycle: cycle.id)
        try await Self.expectRegistersGapFree(services)

        let runs = await log.runs
        #expect(runs.count == Self.queuedJobs && Set(runs).count == Self.queuedJobs, "each queued job ran exactly once")
        let unfinished: Int = try await services.database.query(
            "SELECT count(*)::int AS n FROM jobs WHERE kind = 'test.storm' AND (status <> 'done' OR attempts <> 1)")[0].decode("n")
        #expect(unfinished == 0)
    }

    /// One client: signs, votes for three projects, files an appeal and a report, comments, reads
    /// lists, all at once.
    static func client(_ index: Int, token: String, client: any TestClientProtocol, petition: Int, projects: [Int], consultation: Int)
        async throws -> Answers
    {
        let bearer: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        func post(_ uri: String, _ body: String, headers: HTTPFields = bearer) async throws -> HTTPResponse.Status {
            try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)).status
        }
        return try await withThrowingTaskGroup(of: Answers.self) { group in
            group.addTask {
                let status = try await post("/api/v1/khmelnytskyi/petitions/\(petition)/signatures", "{}")
                return status == .created ? Answers(signed: 1) : Answers(failures: ["sign \(status)"])
            }
            for project in projects.prefix(3) {
                group.addTask {
                    switch try await post("/api/v1/khmelnytskyi/budget/projects/\(project)/votes", "{}") {
                    case .created: return Answers(votes: 1)
                    case .conflict: return Answers(votesRefused: 1)
                    case let status: return Answers(failures: ["vote \(status)"])
                    }
                }
            }
            group.addTask {
                let status = try await post(
                    "/api/v1/khmelnytskyi/appeals", #"{"topic": "roads", "subject": "Яма \#(index)", "text": "Глибока яма на перехресті, номер \#(index)."}"#)
                return status == .created ? Answers(appeals: 1) : Answers(failures: ["appeal \(status)"])
            }
            group.addTask {
                let status = try await post("/api/v1/khmelnytskyi/consultations/\(consultation)/comments", #"{"text": "Пропозиція \#(index)"}"#)
                return status == .created ? Answers(comments: 1) : Answers(failures: ["comment \(status)"])
            }
            group.addTask {
                let form = "jurisdiction_id=khmelnytskyi&service_code=roads&lat=49.42&long=26.98&description=Pothole+on+the+crossing+\(index)"
                    + "&attribute%5Bsize%5D=large&email=storm\(index)%40example.ua&api_key=\(DemoData.open311Key)"
                let status = try await post("/open311/v2/requests.json", form, headers: [.contentType: "application/x-www-form-urlencoded"])
                return status == .created ? Answers(reports: 1) : Answers(failures: ["report \(status)"])
            }
            group.addTask {
                for uri in ["/khmelnytskyi/petitions", "/api/v1/khmelnytskyi/petitions/\(petition)", "/khmelnytskyi/reports.geojson"] {
                    let status = try await client.execute(uri: uri, method: .get, headers: [:]).status
                    if status != .ok { return Answers(failures: ["GET \(uri) \(status)"]) }
                }
                return Answers()
            }
            return try await group.reduce(Answers(), +)
        }
    }

    /// Counters equal the rows they count, and no voter is over their limit.
    static func expectCountsEqualRows(_ services: AppServices, petition: Int, cycle: Int) async throws {
        let petitionsOff: Int = try await services.database.query(
            """
            SELECT count(*)::int AS n FROM petitions p
            WHERE coalesce((SELECT sum(signatures) FROM petition_signature_counts c WHERE c.petition_id = p.id), 0)
                  <> (SELECT count(*) FROM petition_signatures s WHERE s.petition_id = p.id AND s.invalidated_at IS NULL)
            """)[0].decode("n")
        #expect(petitionsOff == 0, "every petition's count equals its signatures")
        let stormPetition = try await services.database.query(
            """
            SELECT (SELECT count(*)::int FROM petition_signatures WHERE petition_id = $1) AS signatures,
                   (SELECT status FROM petitions WHERE id = $1) AS status,
                   (SELECT count(*)::int FROM documents WHERE source_type = 'petition' AND source_id = $1::text) AS documents
            """, petition)[0]
        #expect(try stormPetition.decode("signatures", as: Int.self) == clients + 1, "the author and every client")
        #expect(try stormPetition.decode("status", as: String.self) == "consideration")
        #expect(try stormPetition.decode("documents", as: Int.self) == 1, "crossing the threshold at once registered one document")
        let allowancesOff: Int = try await services.database.query(
            """
            SELECT count(*)::int AS n FROM budget_vote_allowances a
            WHERE a.cycle_id = $1 AND (a.votes_cast > a.vote_limit OR a.votes_cast <> (
                SELECT count(*) FROM budget_votes v WHERE (v.cycle_id, v.person_id, v.scope_id) = (a.cycle_id, a.person_id, a.scope_id)))
            """, cycle)[0].decode("n")
        #expect(allowancesOff == 0, "every voter's counter equals their votes and stays within the limit")
        let votes: Int = try await services.database.query("SELECT count(*)::int AS n FROM budget_votes WHERE cycle_id = $1", cycle)[0].decode("n")
        #expect(votes == 2 * clients)
    }

    /// Every journal's numbers this year run 1…n with no gap and no repeat, and the counter is at n.
    static func expectRegistersGapFree(_ services: AppServices) async throws {
        let journals = try await services.database.query(
            """
            SELECT d.journal, count(*)::int AS documents, count(DISTINCT d.registration_number)::int AS numbers,
                   max(d.registration_number) AS highest, min(c.last_number) AS counter
            FROM documents d JOIN journal_counters c ON (c.community_id, c.journal, c.year) = (d.community_id, d.journal, d.registration_year)
            GROUP BY d.community_id, d.journal, d.registration_year
            """)
        #expect(!journals.isEmpty)
        for journal in journals {
            let (documents, numbers, highest, counter): (Int, Int, Int, Int) = (
                try journal.decode("documents"), try journal.decode("numbers"), try journal.decode("highest"), try journal.decode("counter"))
            let name: String = try journal.decode("journal")
            #expect(documents == numbers && numbers == highest && highest == counter,
                    "journal \(name): \(documents) documents, \(numbers) numbers, highest \(highest), counter \(counter)")
        }
    }
}
