import Foundation
import Logging
import Postgres
import Testing

@testable import Hromada

/// Records each run in a table, so duplicates would show.
struct RecordingJob: JobHandler {
    var kind: String { "test.record" }
    func run(_ job: Job, on session: PostgresSession) async throws {
        try await session.query("INSERT INTO test_job_runs (job_id, item) VALUES ($1, $2)", job.id, job.payload["item"] ?? -1)
    }
}

struct FailingJob: JobHandler {
    var kind: String { "test.fail" }
    func run(_ job: Job, on session: PostgresSession) async throws {
        try await session.query("INSERT INTO test_job_runs (job_id, item) VALUES ($1, -1)", job.id)
        throw CancellationError()
    }
}

/// Remembers what it was asked to send.
actor MailRecorder: MailTransport {
    var sent: [(to: String, subject: String)] = []
    nonisolated func deliver(to address: String, subject: String, body: String, messageID: String) async throws {
        await record(address, subject)
    }
    func record(_ to: String, _ subject: String) { sent.append((to, subject)) }
}

@Suite(.serialized) struct JobTests {
    func services() async throws -> AppServices {
        let services = try await TestApp.services(suite: "jobs")
        try await services.database.query("CREATE TABLE IF NOT EXISTS test_job_runs (job_id bigint, item int)")
        return services
    }

    func logger() -> Logger { var l = Logger(label: "jobs"); l.logLevel = .critical; return l }

    @Test func twoWorkersRunEachJobExactlyOnce() async throws {
        let services = try await services()
        let items = Array(1000..<1060)
        try await services.database.transaction { session in
            for item in items { try await services.jobs.enqueue("test.record", payload: ["item": item], on: session) }
        }
        let workers = (0..<2).map { JobWorker(queue: services.jobs, handlers: [RecordingJob()], workerID: "w\($0)", logger: logger()) }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in workers {
                group.addTask {
                    var ran = 0
                    while try await worker.runOnce() { ran += 1 }
                    return ran
                }
            }
            let perWorker = try await group.reduce(into: [Int]()) { $0.append($1) }
            #expect(perWorker.reduce(0, +) >= items.count)
        }
        let runs = try await services.database.query(
            "SELECT item, count(*) AS n FROM test_job_runs WHERE item BETWEEN 1000 AND 1059 GROUP BY item")
        #expect(runs.count == items.count)
        #expect(try runs.allSatisfy { try $0.decode("n", as: Int.self) == 1 })
        let states = try await services.database.query(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'test.record' AND (payload->>'item')::int BETWEEN 1000 AND 1059 AND status = 'done'")
        #expect(try states[0].decode("n", as: Int.self) == items.count)
    }

    @Test func aJobWhoseWorkerDiedIsRunAgainAfterItsLease() async throws {
        let services = try await services()
        try await services.database.transaction { session in
            try await services.jobs.enqueue("test.record", payload: ["item": 2000], uniqueKey: "lease-test", on: session)
        }
        // The first worker claims the job and dies before finishing it.
        let claimed = try #require(try await services.jobs.claim(worker: "dead-worker", leaseSeconds: 1))
        #expect(claimed.payload["item"] == 2000)
        let survivor = JobWorker(queue: services.jobs, handlers: [RecordingJob()], workerID: "survivor", logger: logger())
        #expect(try await survivor.runOnce() == false, "the lease still holds")
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await survivor.runOnce())
        let runs = try await services.database.query("SELECT count(*) AS n FROM test_job_runs WHERE item = 2000")
        #expect(try runs[0].decode("n", as: Int.self) == 1)
        let job = try await services.database.query("SELECT status, attempts FROM jobs WHERE id = $1", claimed.id)[0]
        #expect(try job.decode("status", as: String.self) == "done")
        #expect(try job.decode("attempts", as: Int.self) == 2)
        // The dead worker cannot complete it afterwards.
        await #expect(throws: JobLeaseLost.self) {
            try await services.database.transaction { session in
                try await services.jobs.complete(claimed, worker: "dead-worker", on: session)
            }
        }
    }

    @Test func aFailingJobIsRetriedLaterAndItsWorkRolledBack() async throws {
        let services = try await services()
        try await services.database.transaction { session in
            try await services.jobs.enqueue("test.fail", uniqueKey: "fail-test", on: session)
        }
        let worker = JobWorker(queue: services.jobs, handlers: [FailingJob()], workerID: "failing", logger: logger())
        #expect(try await worker.runOnce())
        let job = try await services.database.query(
            "SELECT status, attempts, run_at > now() AS later, last_error FROM jobs WHERE unique_key = 'fail-test'")[0]
        #expect(try job.decode("status", as: String.self) == "pending")
        #expect(try job.decode("later", as: Bool.self))
        #expect(try job.decode("last_error", as: String?.self) != nil)
        let runs = try await services.database.query("SELECT count(*) AS n FROM test_job_runs WHERE item = -1")
        #expect(try runs[0].decode("n", as: Int.self) == 0, "the failed run's writes were rolled back")
    }

    @Test func theOutboxIsDeliveredThroughTheTransport() async throws {
        let base = try await services()
        let recorder = MailRecorder()
        let services = try await AppServices(
            configuration: base.configuration, database: base.database, logger: logger(), mailTransport: recorder)
        let person = try #require(try await services.accounts.person(email: "newcomer@khmelnytskyi.demo"))
        let community = try await services.communities.require(slug: "khmelnytskyi")
        try await services.database.transaction { session in
            try await services.outbox.send(
                "document_answered", to: Outbox.Recipient(personID: person.id, email: person.email, language: .en),
                values: ["reference": "ЗВ-2026/000999", "title": "Test", "url": "/khmelnytskyi/appeals/1"],
                communityID: community.id, on: session)
        }
        let worker = JobWorker(queue: services.jobs, handlers: services.jobHandlers, workerID: "mailer", logger: logger())
        while try await worker.runOnce() {}
        let sent = await recorder.sent
        #expect(sent.contains { $0.to == "newcomer@khmelnytskyi.demo" && $0.subject == "Answered: ЗВ-2026/000999" })
        let status = try await services.database.query(
            "SELECT status FROM outbox_messages WHERE subject = 'Answered: ЗВ-2026/000999'")[0].decode("status", as: String.self)
        #expect(status == "sent")
    }

    @Test func theOverdueSweepTellsTheDepartmentOnce() async throws {
        let services = try await services()
        try await services.database.transaction { session in
            try await services.jobs.enqueue(OverdueSweep.kind, uniqueKey: "sweep-test", on: session)
        }
        let worker = JobWorker(queue: services.jobs, handlers: services.jobHandlers, workerID: "sweeper", logger: logger())
        while try await worker.runOnce() {}
        let messages = try await services.database.query(
            "SELECT count(*) AS n FROM outbox_messages WHERE subject LIKE 'Прострочено:%' AND to_address = 'head@khmelnytskyi.demo'")
        #expect(try messages[0].decode("n", as: Int.self) == 1)
        try await services.database.transaction { session in
            try await services.jobs.enqueue(OverdueSweep.kind, uniqueKey: "sweep-test-2", on: session)
        }
        while try await worker.runOnce() {}
        let again = try await services.database.query(
            "SELECT count(*) AS n FROM outbox_messages WHERE subject LIKE 'Прострочено:%' AND to_address = 'head@khmelnytskyi.demo'")
        #expect(try again[0].decode("n", as: Int.self) == 1)
    }

    @Test func housekeepingDeletesWhatHasEndedAndKeepsTheRest() async throws {
        let services = try await services()
        let person = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services).person.id
        let tag = UUID().uuidString.prefix(8).lowercased()
        func hash(_ name: String) -> Data { Data(Crypto.sha256(Array("\(tag)-\(name)".utf8))) }
        try await services.database.transaction { session in
            for (name, expires) in [("old", "now() - interval '1 minute'"), ("live", "now() + interval '1 hour'")] {
                try await session.query(
                    "INSERT INTO sessions (token_hash, person_id, kind, expires_at) VALUES ($1, $2, 'browser', \(expires))", hash(name), person)
            }
            for (name, expires) in [("old", "now() - interval '8 days'"), ("recent", "now() - interval '1 day'")] {
                try await session.query(
                    """
                    INSERT INTO account_tokens (kind, person_id, email, token_hash, created_at, expires_at)
                    VALUES ('reset_password', $1, 'citizen@khmelnytskyi.demo', $2, \(expires) - interval '1 hour', \(expires))
                    """, person, hash(name))
            }
            for (name, start) in [("old", "now() - interval '9 days'"), ("recent", "now() - interval '6 days'")] {
                try await session.query("INSERT INTO rate_limit_windows (bucket, window_start, hits) VALUES ($1, \(start), 1)", "\(tag)-\(name)")
            }
            try await services.jobs.enqueue(HousekeepingSweep.kind, uniqueKey: "housekeeping-\(tag)", on: session)
        }
        let worker = JobWorker(queue: services.jobs, handlers: services.jobHandlers, workerID: "housekeeper", logger: logger())
        while try await worker.runOnce() {}
        let sessions = try await services.database.query("SELECT token_hash FROM sessions WHERE token_hash = ANY($1)", [hash("old"), hash("live")])
        #expect(try sessions.map { try $0.decode("token_hash", as: Data.self) } == [hash("live")])
        let tokens = try await services.database.query("SELECT token_hash FROM account_tokens WHERE token_hash = ANY($1)", [hash("old"), hash("recent")])
        #expect(try tokens.map { try $0.decode("token_hash", as: Data.self) } == [hash("recent")])
        let windows = try await services.database.query("SELECT bucket FROM rate_limit_windows WHERE bucket LIKE $1", "\(tag)-%")
        #expect(try windows.map { try $0.decode("bucket", as: String.self) } == ["\(tag)-recent"])
        #expect(AppServices.recurringJobs.contains { $0.kind == HousekeepingSweep.kind })
    }
}
