import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Testing

@testable import Hromada

@Suite struct PetitionRulesTests {
    @Test func everyTransition() {
        let allowed: [PetitionEvent: [PetitionStatus: PetitionStatus]] = [
            .publish: [.moderation: .collecting], .reject: [.moderation: .rejected],
            .reachThreshold: [.collecting: .consideration], .endPeriod: [.collecting: .notEnough],
            .answer: [.consideration: .answered, .notEnough: .answered],
        ]
        for event in PetitionEvent.allCases {
            for status in PetitionStatus.allCases {
                #expect(PetitionLifecycle.status(after: event, from: status) == allowed[event]?[status], "\(event) from \(status)")
            }
        }
    }

    @Test func signingChecks() {
        let today = CalendarDay(year: 2026, month: 11, day: 27)
        var facts = SigningFacts(status: .collecting, collectionStartsOn: today.adding(days: -10), collectionEndsOn: today,
                                 today: today, isVerifiedHere: true)
        #expect(SigningRefusal.check(facts) == nil)
        facts.isVerifiedHere = false
        #expect(SigningRefusal.check(facts) == .notVerified)
        facts.isVerifiedHere = true
        facts.recentByPerson = SigningRefusal.perPersonPerHour
        #expect(SigningRefusal.check(facts) == .rateLimited)
        facts.recentByPerson = 0
        facts.recentByIP = SigningRefusal.perIPPerHour
        #expect(SigningRefusal.check(facts) == .rateLimited)
        facts.recentByIP = 0
        facts.today = today.adding(days: 1)
        #expect(SigningRefusal.check(facts) == .periodOver)
        facts.today = today
        facts.status = .consideration
        #expect(SigningRefusal.check(facts) == .notCollecting)
        #expect(PetitionLifecycle.errors(title: "Коротко", body: "мало").keys.sorted() == ["body", "title"])
        #expect(PetitionLifecycle.errors(title: String(repeating: "я", count: 201), body: String(repeating: "я", count: 60)).keys.sorted() == ["title"])
    }

    @Test func csvQuotesWhatNeedsQuoting() {
        #expect(CSV.line(["1", "a,b", "say \"hi\"", "two\nlines", "plain"]) == "1,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain")
    }
}

@Suite struct PetitionTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "petitions") }


    @Test func theAuthorSignsOnPublicationAndCannotSignTwice() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let petition = try await Fixtures.collectingPetition(services)
        #expect(petition.signatures == 1, "the author's own signature")
        let author = Viewer(person: Person(id: petition.authorID, email: "", fullName: "", language: .uk), grants: [], sessionTokenHash: [])
        await #expect(throws: SigningRefusal.alreadySigned) {
            try await services.petitions.sign(petition.id, by: author, in: community, ip: nil)
        }
        let newcomer = try await Fixtures.viewer("newcomer@khmelnytskyi.demo", services)
        await #expect(throws: SigningRefusal.notVerified) {
            try await services.petitions.sign(petition.id, by: newcomer, in: community, ip: nil)
        }
        #expect(try await services.petitions.signatureCount(petition.id) == 1)
    }

    @Test func oneSignatureFromTwentyConcurrentRequests() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let petition = try await Fixtures.collectingPetition(services)
        let signer = try await Fixtures.residents(1, services)[0]
        let results = await withTaskGroup(of: Bool.self) { group in
            for attempt in 0..<20 {
                group.addTask {
                    // From twenty addresses: a phone and a laptop at once are still one person.
                    (try? await services.petitions.sign(petition.id, by: signer, in: community, ip: "198.51.100.\(attempt + 1)")) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        let rows = try await services.database.query(
            "SELECT count(*) AS n FROM petition_signatures WHERE petition_id = $1 AND person_id = $2", petition.id, signer.person.id)
        #expect(try rows[0].decode("n", as: Int.self) == 1)
        #expect(try await services.petitions.signatureCount(petition.id) == 2)
    }

    @Test func theHourlyLimitHoldsForSignaturesSentTogether() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        var petitions: [Petition] = []
        for _ in 0..<(SigningRefusal.perPersonPerHour + 10) { petitions.append(try await Fixtures.collectingPetition(services)) }
        let signer = try await Fixtures.residents(1, services)[0]
        let signed = await withTaskGroup(of: Bool.self) { group in
            for petition in petitions {
                group.addTask {
                    (try? await services.petitions.sign(petition.id, by: signer, in: community, ip: nil)) != nil
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        let rows: Int = try await services.database.query(
            "SELECT count(*) AS n FROM petition_signatures WHERE person_id = $1", signer.person.id)[0].decode("n")
        #expect(signed == rows)
        #expect(rows == SigningRefusal.perPersonPerHour)
    }

    @Test func aThousandConcurrentSignersAreCountedExactly() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let petition = try await Fixtures.collectingPetition(services, threshold: 100_000)
        let signers = try await Fixtures.residents(1000, services)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, signer) in signers.enumerated() {
                group.addTask {
                    _ = try await services.petitions.sign(
                        petition.id, by: signer, in: community, ip: "10.0.\(index / 250).\(index % 250)")
                }
            }
            try await group.waitForAll()
        }
        let rows = try await services.database.query(
            "SELECT count(*) AS n FROM petition_signatures WHERE petition_id = $1 AND invalidated_at IS NULL", petition.id)[0].decode("n", as: Int.self)
        #expect(rows == 1001)
        #expect(try await services.petitions.signatureCount(petition.id) == rows)
        let shown = try await services.petitions.find(petition.id, communityID: community.id).signatures
        #expect(shown == rows)
    }

    @Test func crossingTheThresholdConcurrentlyRegistersOneDocument() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let petition = try await Fixtures.collectingPetition(services, threshold: 30)
        let signers = try await Fixtures.residents(60, services)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for signer in signers {
                group.addTask {
                    do {
                        _ = try await services.petitions.sign(petition.id, by: signer, in: community, ip: nil)
                    } catch SigningRefusal.notCollecting {
                        // Signers arriving after the threshold moved it to consideration.
                    }
                }
            }
            try await group.waitForAll()
        }
        let documents = try await services.database.query(
            "SELECT kind, due_on, registered_on FROM documents WHERE source_type = 'petition' AND source_id = $1", String(petition.id))
        #expect(documents.count == 1)
        #expect(try documents[0].decode("kind", as: String.self) == "petition")
        let after = try await services.petitions.find(petition.id, communityID: community.id)
        #expect(after.status == .consideration)
        #expect(after.signatures >= 30)
    }

    @Test func theAnswerReachesThePetitionAndEverySigner() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let petition = try await Fixtures.collectingPetition(services, threshold: 4)
        for signer in try await Fixtures.residents(3, services) {
            _ = try await services.petitions.sign(petition.id, by: signer, in: community, ip: nil)
        }
        let document = try #require(try await services.workflow.find(sourceType: "petition", sourceID: String(petition.id), communityID: community.id))
        #expect(document.kind == .petition)
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        let head = try await Fixtures.viewer("head@khmelnytskyi.demo", services)
        let official = try await Fixtures.viewer("official@khmelnytskyi.demo", services)
        let lighting: Int = try await services.database.query("SELECT id FROM departments WHERE slug = 'street-lighting'")[0].decode("id")
        try await services.workflow.perform(
            ActionRequest(.transfer, comment: "Стосується освітлення", departmentID: lighting), documentID: document.id, by: admin, community: community)
        try await services.workflow.perform(ActionRequest(.assign, assigneeID: official.person.id), documentID: document.id, by: head, community: community)
        try await services.workflow.perform(
            ActionRequest(.answer, comment: "Рада підтримує петицію частково.", outcome: "partly_supported"),
            documentID: document.id, by: official, community: community)
        let answered = try await services.petitions.find(petition.id, communityID: community.id)
        #expect(answered.status == .answered)
        let messages = try await services.database.query(
            """
            SELECT count(*) AS n FROM outbox_messages m JOIN petition_signatures s ON s.person_id = m.person_id
            WHERE s.petition_id = $1 AND m.subject LIKE 'Відповідь на петицію:%'
            """, petition.id)[0].decode("n", as: Int.self)
        #expect(messages == 4, "the author and the three signers")
    }

    @Test func thePeriodEndJobForwardsShortPetitionsAsAppeals() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let short = try await Fixtures.collectingPetition(services, threshold: 500)
        let reached = try await Fixtures.collectingPetition(services, threshold: 1)
        try await services.database.query(
            "UPDATE petitions SET status = 'collecting', collection_ends_on = current_date - 2 WHERE id = ANY($1)", [short.id, reached.id])
        try await services.database.transaction { session in
            try await services.jobs.enqueue(PetitionSweep.kind, uniqueKey: "period-end-test", on: session)
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let worker = JobWorker(queue: services.jobs, handlers: services.jobHandlers, workerID: "period", logger: logger)
        while try await worker.runOnce() {}
        #expect(try await services.petitions.find(short.id, communityID: community.id).status == .notEnough)
        #expect(try await services.petitions.find(reached.id, communityID: community.id).status == .consideration)
        let kinds = try await services.database.query(
            "SELECT source_id, kind FROM documents WHERE source_type = 'petition' AND source_id = ANY($1)", [String(short.id), String(reached.id)])
        let byPetition = Dictionary(uniqueKeysWithValues: try kinds.map { (try $0.decode("source_id", as: String.self), try $0.decode("kind", as: String.self)) })
        #expect(byPetition == [String(short.id): "appeal", String(reached.id): "petition"])
    }

    @Test func invalidationKeepsTheRowsAndRecountsAndIsAudited() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let petition = try await Fixtures.collectingPetition(services, threshold: 10_000)
        let signers = try await Fixtures.residents(30, services)
        for (index, signer) in signers.enumerated() {
            _ = try await services.petitions.sign(
                petition.id, by: signer, in: community, ip: index < 12 ? "203.0.113.\(index + 1)" : "192.0.2.\(index)")
        }
        let pattern = try await services.petitions.signingPattern(of: petition.id)
        #expect(pattern.topPrefixes.first?.prefix == "192.0.2.0/24")
        #expect(pattern.topPrefixes.contains { $0.prefix == "203.0.113.0/24" && $0.signatures == 12 })
        #expect(pattern.perHour.map(\.signatures).reduce(0, +) == 31)
        let moderator = try await Fixtures.viewer("moderator@khmelnytskyi.demo", services)
        let invalidated = try await services.petitions.invalidate(
            petition.id, matching: InvalidationCriteria(network: "203.0.113.0/24"), reason: "Бот-мережа", by: moderator, in: community, ip: nil)
        #expect(invalidated == 12)
        #expect(try await services.petitions.signatureCount(petition.id) == 19)
        let rows = try await services.database.query(
            "SELECT count(*) FILTER (WHERE invalidated_at IS NULL) AS valid, count(*) AS all FROM petition_signatures WHERE petition_id = $1", petition.id)[0]
        #expect(try rows.decode("valid", as: Int.self) == 19)
        #expect(try rows.decode("all", as: Int.self) == 31)
        let audit = try await services.database.query(
            "SELECT summary FROM audit_log WHERE action = 'petition.invalidate' AND object_id = $1", String(petition.id))
        #expect(try audit.first?.decode("summary", as: String.self).contains("invalidated 12") == true)
        await #expect(throws: AppError.self) {
            try await services.petitions.invalidate(petition.id, matching: InvalidationCriteria(network: "not-a-network"), reason: "x", by: moderator, in: community, ip: nil)
        }
        await #expect(throws: AppError.self) {
            try await services.petitions.invalidate(petition.id, matching: InvalidationCriteria(), reason: "x", by: moderator, in: community, ip: nil)
        }
    }

    @Test func theJourneyThroughThePages() async throws {
        let services = try await services()
        let title = "Встановити питні фонтанчики в парку \(UUID().uuidString.prefix(6))"
        let path = try await TestApp.withBrowser(services) { citizen in
            try await citizen.signIn("citizen@khmelnytskyi.demo")
            try await citizen.get("/khmelnytskyi/petitions/new")
            let short = try await citizen.post("/khmelnytskyi/petitions", form: ["title": "Коротко", "body": "Мало"])
            #expect(short.status == .unprocessableContent)
            #expect(short.body.contains("Назва: від 10 до 200 символів."))
            let sent = try await citizen.post("/khmelnytskyi/petitions", form: [
                "title": title, "body": "Улітку в парку ім. Чекмана немає де напитися води. Просимо встановити три питні фонтанчики."])
            #expect(sent.status == .seeOther)
            return try #require(sent.location)
        }
        let id = Int(path.split(separator: "/").last!)!
        try await TestApp.withBrowser(services) { anonymous in
            let page = try await anonymous.get(path)
            #expect(page.status == .notFound, "not public before moderation")
            #expect(try await anonymous.get("\(path)/count.json").status == .notFound, "nor is its count")
        }
        try await TestApp.withBrowser(services) { moderator in
            try await moderator.signIn("moderator@khmelnytskyi.demo")
            let queue = try await moderator.get("/khmelnytskyi/moderation")
            #expect(queue.body.contains(title))
            let published = try await moderator.post("/khmelnytskyi/moderation/petitions/\(id)", form: ["decision": "publish"])
            #expect(published.status == .seeOther)
        }
        try await TestApp.withBrowser(services) { resident in
            let similar = try await resident.get("/khmelnytskyi/petitions")
            #expect(similar.body.contains(title))
            try await resident.signIn("head@khmelnytskyi.demo")
            let page = try await resident.get(path)
            #expect(page.body.contains(#"<meta property="og:title""#))
            #expect(page.body.contains(#"<progress max="500" value="1""#))
            let refused = try await resident.post("\(path)/sign", form: [:])
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains("Підписувати можуть лише мешканці громади з підтвердженою особою"))
        }
        try await TestApp.withBrowser(services) { duplicateWriter in
            try await duplicateWriter.signIn("citizen@khmelnytskyi.demo")
            try await duplicateWriter.get("/khmelnytskyi/petitions/new")
            let warned = try await duplicateWriter.post("/khmelnytskyi/petitions", form: [
                "title": title.replacingOccurrences(of: "три", with: "два"), "body": String(repeating: "Фонтанчики потрібні всім мешканцям. ", count: 3)])
            #expect(warned.status == .ok)
            #expect(warned.body.contains("Схожі петиції вже є"))
            #expect(warned.body.contains(#"name="confirm" value="yes""#))
        }
        let count = try await TestApp.withBrowser(services) { browser in
            try await browser.get("\(path)/count.json").body
        }
        #expect(count.contains(#""signatures":1"#))
    }

    @Test func theAPISignsOnceAndThenConflicts() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services)
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let session = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email": "admin@khmelnytskyi.demo", "password": "demo-password"}"#))
            let token = try #require((try JSONSerialization.jsonObject(with: Data(buffer: session.body)) as? [String: Any])?["token"] as? String)
            // The administrator is not a verified resident: refused with a clear problem.
            let refused = try await client.execute(
                uri: "/api/v1/khmelnytskyi/petitions/\(petition.id)/signatures", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body).contains(#""type":"\/problems\/forbidden""#))
        }
        let resident = try await Fixtures.residents(1, services)[0]
        let token = try await services.sessions.create(personID: resident.person.id, kind: .api, ip: nil, userAgent: nil).token
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let first = try await client.execute(
                uri: "/api/v1/khmelnytskyi/petitions/\(petition.id)/signatures", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(first.status == .created)
            #expect(String(buffer: first.body).contains(#""signatures":2"#))
            let second = try await client.execute(
                uri: "/api/v1/khmelnytskyi/petitions/\(petition.id)/signatures", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(second.status == .conflict)
            #expect(String(buffer: second.body).contains(#""type":"\/problems\/conflict""#))
            let unknown = try await client.execute(
                uri: "/api/v1/khmelnytskyi/petitions/99999999/signatures", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(unknown.status == .notFound)
            // A petition still in moderation is not public: 404, as if it were not there, and no signature.
            let community = try await services.communities.require(slug: "khmelnytskyi")
            let unpublished = try await services.petitions.submit(
                title: "Петиція на модерації \(UUID().uuidString.prefix(6))", body: String(repeating: "Текст петиції на модерації. ", count: 3),
                category: "", by: try await Fixtures.viewer("citizen@khmelnytskyi.demo", services), in: community, verifications: services.verifications, ip: nil)
            let hidden = try await client.execute(
                uri: "/api/v1/khmelnytskyi/petitions/\(unpublished.id)/signatures", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(hidden.status == .notFound)
            #expect(try await services.petitions.signatureCount(unpublished.id) == 0)
            let signers = try await client.execute(uri: "/api/v1/khmelnytskyi/petitions/\(petition.id)/signatures", method: .get)
            let list = try JSONSerialization.jsonObject(with: Data(buffer: signers.body)) as? [String: Any]
            #expect(list?["total"] as? Int == 2)
            let csv = try await client.execute(uri: "/khmelnytskyi/open-data/signatures.csv", method: .get)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = String(buffer: csv.body).split(separator: "\r\n")
            #expect(lines.first == "petition_id,name,signed_at")
            #expect(lines.filter { $0.hasPrefix("\(petition.id),") }.count == 2)
            let json = try await client.execute(uri: "/khmelnytskyi/open-data/petitions.json", method: .get)
            let petitions = try JSONSerialization.jsonObject(with: Data(buffer: json.body)) as? [[String: Any]]
            #expect(petitions?.contains { $0["id"] as? Int == petition.id && $0["signatures"] as? Int == 2 } == true)
        }
    }
}
