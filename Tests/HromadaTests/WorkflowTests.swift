import Foundation
import HTTPTypes
import Logging
import Postgres
import Testing

@testable import Hromada

/// A module stand-in that records the answers it receives.
struct RecordingSource: DocumentSource {
    var sourceType: String { "test_item" }
    var answerOutcomes: [String] { ["resolved", "rejected"] }

    func receiveAnswer(_ answer: DocumentAnswer, for document: Document, on session: PostgresSession) async throws {
        try await session.query(
            "INSERT INTO test_items_answered (source_id, outcome, text) VALUES ($1, $2, $3)",
            document.sourceID, answer.outcome, answer.text)
    }

    func path(of document: Document, communitySlug: String) -> String { "/\(communitySlug)/test-items/\(document.sourceID)" }
}

@Suite struct WorkflowTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "workflow") }


    func register(_ services: AppServices, workflow: WorkflowStore? = nil, kind: DocumentKind = .problemReport,
                  sourceID: String = UUID().uuidString, category: String = "street_lighting") async throws -> Document {
        let community = try await services.communities.require(slug: "khmelnytskyi")
        try await services.database.query(
            """
            INSERT INTO routing_rules (community_id, module, category, department_id)
            SELECT $1, 'test_item', '', id FROM departments WHERE community_id = $1 AND slug = 'street-lighting'
            ON CONFLICT DO NOTHING
            """, community.id)
        return try await services.database.transaction { session in
            try await (workflow ?? services.workflow).register(
                RegistrationRequest(kind: kind, sourceType: "test_item", sourceID: sourceID, title: "Тестовий документ", category: category),
                communityID: community.id, communitySlug: community.slug, on: session)
        }
    }

    @Test func fiftyConcurrentRegistrationsGetGapFreeUniqueNumbers() async throws {
        let services = try await services()
        let documents = try await withThrowingTaskGroup(of: Document.self) { group in
            for _ in 0..<50 { group.addTask { try await register(services, kind: .geoFeedback) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let numbers = try await services.database.query(
            "SELECT registration_number FROM documents WHERE journal = 'ГП' ORDER BY registration_number"
        ).map { try $0.decode("registration_number", as: Int.self) }
        #expect(numbers == Array(1...50))
        #expect(Set(documents.map(\.reference)).count == 50)
        #expect(documents.allSatisfy { $0.reference.hasPrefix("ГП-\($0.registeredOn.year)/0000") })
    }

    @Test func aRolledBackRegistrationGivesItsNumberBack() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        // The demo registers consultation reports (ЕК) while loading; no other test here does.
        let last: Int = try await services.database.query(
            "SELECT coalesce(max(registration_number), 0) AS n FROM documents WHERE community_id = $1 AND journal = 'ЕК'", community.id
        )[0].decode("n")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await services.database.transaction { session in
                _ = try await services.workflow.register(
                    RegistrationRequest(kind: .consultationReport, sourceType: "test_item", sourceID: "rolled-back", title: "x"),
                    communityID: community.id, communitySlug: community.slug, on: session)
                throw Abort()
            }
        }
        let next = try await register(services, kind: .consultationReport)
        #expect(next.reference.hasSuffix(String(format: "/%06d", last + 1)))
    }

    @Test func routingPrefersTheExactRuleThenTheModuleThenTheCommunity() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let departments = Dictionary(uniqueKeysWithValues: try await services.communities.departments(of: community.id).map { ($0.slug, $0.id) })
        try await services.database.query(
            "INSERT INTO routing_rules (community_id, module, category, department_id) VALUES ($1, 'route_test', '', $2), ($1, 'route_test', 'trees', $3)",
            community.id, departments["roads"], departments["ecology"])
        let routed = try await services.database.withConnection { session in
            [try await services.workflow.route(module: "route_test", category: "trees", communityID: community.id, on: session),
             try await services.workflow.route(module: "route_test", category: "other", communityID: community.id, on: session),
             try await services.workflow.route(module: "unknown_module", category: "", communityID: community.id, on: session)]
        }
        #expect(routed == [departments["ecology"], departments["roads"], departments["housing"]])
        let bare = try await services.database.transaction { session in
            try await services.communities.create(slug: "routing-empty", nameUK: "Порожня", nameEN: "Empty", on: session)
        }
        try await services.database.withConnection { session in
            let error = await #expect(throws: AppError.self) {
                try await services.workflow.route(module: "appeal", category: "", communityID: bare.id, on: session)
            }
            #expect(error?.detailKey == "workflow.error.no_route")
        }
    }

    @Test func theAnswerReachesTheSourceObjectAndTheAuthor() async throws {
        let services = try await services()
        try await services.database.query("CREATE TABLE IF NOT EXISTS test_items_answered (source_id text, outcome text, text text)")
        let workflow = WorkflowStore(database: services.database, outbox: services.outbox, sources: [RecordingSource()])
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let sourceID = UUID().uuidString
        let document = try await register(services, workflow: workflow, sourceID: sourceID)
        #expect(document.departmentName.uk == "Відділ вуличного освітлення")
        let official = try await Fixtures.viewer("official@khmelnytskyi.demo", services)
        try await workflow.perform(ActionRequest(.take), documentID: document.id, by: official, community: community)
        let refused = await #expect(throws: AppError.self) {
            try await workflow.perform(ActionRequest(.answer, comment: "Готово", outcome: "fixed"), documentID: document.id, by: official, community: community)
        }
        #expect(refused?.fieldErrors["outcome"] != nil, "an outcome the source does not know is refused")
        let answered = try await workflow.perform(
            ActionRequest(.answer, comment: "Ліхтар замінено.", outcome: "resolved"), documentID: document.id, by: official, community: community)
        #expect(answered.status == .answered)
        #expect(answered.answer?.text == "Ліхтар замінено.")
        let received = try await services.database.query("SELECT outcome, text FROM test_items_answered WHERE source_id = $1", sourceID)
        #expect(received.count == 1)
        #expect(try received[0].decode("outcome", as: String.self) == "resolved")
        let history = try await workflow.events(of: document.id, includeInternal: false).map(\.action)
        #expect(history == ["register", "take", "answer"])
    }

    @Test func officialsSeeOnlyTheirDepartmentsDocuments() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let roadsDocument = try await register(services, category: "roads-only")
        // Route it to the roads department by transferring as an administrator.
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        let roads: Int = try await services.database.query("SELECT id FROM departments WHERE slug = 'roads'")[0].decode("id")
        try await services.workflow.perform(
            ActionRequest(.transfer, comment: "Це про дорогу", departmentID: roads), documentID: roadsDocument.id, by: admin, community: community)

        let official = try await Fixtures.viewer("official@khmelnytskyi.demo", services)
        let visible = try await services.workflow.documents(in: QueueFilter(queue: .department), for: official, communityID: community.id)
        #expect(!visible.contains { $0.id == roadsDocument.id })
        #expect(visible.allSatisfy { $0.departmentName.uk == "Відділ вуличного освітлення" })
        await #expect(throws: AppError.self) {
            try await services.workflow.perform(ActionRequest(.comment, comment: "Чужий"), documentID: roadsDocument.id, by: official, community: community)
        }
        let adminView = try await services.workflow.documents(in: QueueFilter(queue: .department), for: admin, communityID: community.id)
        #expect(adminView.contains { $0.id == roadsDocument.id })

        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("official@khmelnytskyi.demo")
            let page = try await browser.get("/khmelnytskyi/office/documents/\(roadsDocument.id)")
            #expect(page.status == .forbidden)
        }
    }

    @Test func extensionsStayWithinTheMaximumTerm() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let document = try await register(services, kind: .problemReport)
        let head = try await Fixtures.viewer("head@khmelnytskyi.demo", services)
        let tooLate = document.registeredOn.adding(days: 46)
        await #expect(throws: AppError.self) {
            try await services.workflow.perform(ActionRequest(.extend, comment: "Потрібна експертиза", dueOn: tooLate), documentID: document.id, by: head, community: community)
        }
        let extended = try await services.workflow.perform(
            ActionRequest(.extend, comment: "Потрібна експертиза", dueOn: document.registeredOn.adding(days: 45)),
            documentID: document.id, by: head, community: community)
        #expect(extended.dueOn == document.registeredOn.adding(days: 45))
        #expect(extended.extensionReason == "Потрібна експертиза")
        let petition = try await register(services, kind: .petition)
        let refused = await #expect(throws: AppError.self) {
            try await services.workflow.perform(ActionRequest(.extend, comment: "x", dueOn: petition.dueOn.adding(days: 1)), documentID: petition.id, by: head, community: community)
        }
        #expect(refused?.kind == .conflict)
    }

    @Test func historyIsImmutable() async throws {
        let services = try await services()
        _ = try await register(services)
        for statement in ["UPDATE document_events SET comment = 'changed'", "DELETE FROM document_events"] {
            let error = await #expect(throws: PostgresError.self) { try await services.database.query(statement) }
            #expect(error?.sqlState == SQLState.insufficientPrivilege)
        }
    }

    @Test func theDemoHasAnOverdueDocument() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let head = try await Fixtures.viewer("head@khmelnytskyi.demo", services)
        let overdue = try await services.workflow.documents(in: QueueFilter(queue: .overdue), for: head, communityID: community.id)
        #expect(overdue.contains { $0.title == "Обірваний кабель освітлення на вул. Свободи" })
        let counts = try await services.workflow.counts(for: head, communityID: community.id)
        #expect(counts[.overdue] == overdue.count)
    }
}
