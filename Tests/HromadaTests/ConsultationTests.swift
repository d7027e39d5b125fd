import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// E-consultations' rules as plain values.
@Suite struct ConsultationRulesTests {
    let today = CalendarDay(year: 2026, month: 11, day: 27)

    func identity(age: Int, resident: Bool = true) -> VerifiedIdentity {
        VerifiedIdentity(fullName: "A", birthDate: CalendarDay(year: 2026 - age, month: 1, day: 1), isResident: resident, source: "in_person", verifiedAt: Date())
    }

    @Test func eligibility() {
        func check(_ phase: ConsultationPhase = .open, _ participation: Participation = .verified, member: Bool = true,
                   identity: VerifiedIdentity?) -> ParticipationRefusal? {
            ParticipationRefusal.check(phase: phase, participation: participation, minimumAge: 14, isMember: member, identity: identity, today: today)
        }
        #expect(check(identity: identity(age: 30)) == nil)
        #expect(check(identity: identity(age: 13)) == .tooYoung)
        #expect(check(identity: identity(age: 14)) == nil)
        #expect(check(identity: nil) == .notVerified)
        #expect(check(.open, .verified, member: false, identity: nil) == .notMember)
        #expect(check(.open, .registered, member: true, identity: nil) == nil, "a registered member's age is not known")
        #expect(check(.open, .registered, member: false, identity: nil) == .notMember)
        #expect(check(.closed, identity: identity(age: 30)) == .notOpen)
        #expect(check(.upcoming, identity: identity(age: 30)) == .notOpen)
        #expect(AgeBand.of(identity(age: 16), on: today) == "14-17" && AgeBand.of(nil, on: today) == "unknown" && AgeBand.of(identity(age: 70), on: today) == "60+")
    }

    @Test func sectionsAndSurveysFromText() throws {
        let sections = DraftSection.parse("Вступ без заголовка\n## Перший\nтекст 1\n\n## Другий\nтекст 2", untitled: "Проєкт")
        #expect(sections.map(\.heading) == ["Проєкт", "Перший", "Другий"] && sections[2].body == "текст 2")
        let questions = try SurveyQuestion.parse("? Так чи ні? [single]\n- Так\n- Ні\n? Що важливо? [multiple 2]\n- А\n- Б\n- В\n? Оцініть [scale 1-5]\n? Ваша думка [text]").get()
        #expect(questions.map(\.kind) == [.single, .multiple, .scale, .text])
        #expect(questions[1].maxChoices == 2 && questions[2].scale == 1...5 && questions[0].options == ["Так", "Ні"])
        #expect(try SurveyQuestion.parse(SurveyQuestion.text(of: questions)).get() == questions)
        for (bad, key) in [("? Питання без типу", "survey.error.kind"), ("? Один варіант [single]\n- Так", "survey.error.options"),
                           ("- Варіант без питання", "survey.error.option_place"), ("? Шкала [scale 5-1]", "survey.error.scale"),
                           ("просто текст", "survey.error.line"), ("? Багато [multiple 3]\n- А\n- Б", "survey.error.options"),
                           ("? Текст [text]\n- варіант", "survey.error.option_place")] {
            if case .failure(let error) = SurveyQuestion.parse(bad) { #expect(error.key == key, "\(bad)") } else { Issue.record("accepted: \(bad)") }
        }
        let eleven = "? Забагато [single]\n" + (1...11).map { "- \($0)" }.joined(separator: "\n")
        if case .success = SurveyQuestion.parse(eleven) { Issue.record("eleven options accepted") }
    }

    @Test func answersAndTheirTally() throws {
        let questions = [
            SurveyQuestion(id: 1, position: 1, kind: .single, text: "Так?", options: ["Так", "Ні"]),
            SurveyQuestion(id: 2, position: 2, kind: .multiple, text: "Що?", options: ["А", "Б", "В"], maxChoices: 2),
            SurveyQuestion(id: 3, position: 3, kind: .scale, text: "Оцінка", scale: 1...5),
            SurveyQuestion(id: 4, position: 4, kind: .text, text: "Думка"),
        ]
        let good = try SurveyAnswers.read(FormData(urlEncoded: "q1=1&q2_0=on&q2_2=on&q3=4&q4=Добре"), questions: questions).get()
        #expect(good == [1: .choices([1]), 2: .choices([0, 2]), 3: .scale(4), 4: .text("Добре")])
        if case .failure(let error) = SurveyAnswers.read(FormData(urlEncoded: "q1=5&q2_0=on&q2_1=on&q2_2=on&q3=9"), questions: questions) {
            #expect(error.fieldErrors.keys.sorted() == ["q1", "q2", "q3"])
        } else { Issue.record("bad answers accepted") }
        let results = QuestionResult.tally(questions, answers: [good, [1: .choices([0]), 3: .scale(2)], [1: .choices([1])]])
        #expect(results[0].counts == [1, 2] && results[0].answered == 3)
        #expect(results[1].counts == [1, 0, 1] && results[1].answered == 1)
        #expect(results[2].counts == [0, 1, 0, 1, 0] && results[2].average == 3)
        #expect(results[3].texts == ["Добре"])
    }
}

@Suite struct ConsultationTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "consultations") }


    /// An open consultation of the street lighting department with two sections and a survey.
    func open(_ services: AppServices, moderation: CommentModeration = .post, participation: Participation = .verified) async throws -> Int {
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let lighting = try #require(try await services.communities.departments(of: community.id).first { $0.slug == "street-lighting" })
        let today = services.todayInKyiv
        return try await services.consultations.create(
            ConsultationDraft(title: "Перевірочна консультація \(UUID().uuidString.prefix(6))", question: "Чи підтримуєте ви перевірочний проєкт?",
                              departmentID: lighting.id, affected: "", startsOn: today, endsOn: today.adding(days: 10), format: .both,
                              participation: participation, minimumAge: 14, moderation: moderation,
                              sectionsText: "## Перший\nтекст\n## Другий\nтекст", surveyText: "? Так чи ні? [single]\n- Так\n- Ні", documentsText: ""),
            by: try await Fixtures.viewer("head@khmelnytskyi.demo", services), community: community, ip: nil)
    }

    @Test func oneSubmissionPerPersonUnderConcurrency() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let id = try await open(services)
        let question = try #require(try await services.consultations.questions(of: id).first)
        let citizen = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    (try? await services.consultations.submit([question.id: .choices([0])], to: id, by: citizen, community: community,
                                                              verifications: services.verifications, ip: nil)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let submissions: Int = try await services.database.query(
            "SELECT count(*)::int AS n FROM consultation_submissions WHERE consultation_id = $1", id)[0].decode("n")
        #expect(submissions == 1)
        await #expect(throws: ParticipationRefusal.alreadySubmitted) {
            try await services.consultations.submit([question.id: .choices([1])], to: id, by: citizen, community: community,
                                                    verifications: services.verifications, ip: nil)
        }
        // The answers hold no path back to the person.
        let columns = try await services.database.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name IN ('consultation_submissions', 'consultation_answers')")
            .map { try $0.decode("column_name", as: String.self) }
        #expect(!columns.contains("person_id"))
        await #expect(throws: AppError.self) {
            try await services.consultations.submit([question.id: .choices([0])], to: id, by: try await Fixtures.viewer("newcomer@khmelnytskyi.demo", services),
                                                    community: community, verifications: services.verifications, ip: nil)
        }
    }

    @Test func aNewVersionKeepsOldCommentsWhereTheyWere() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let id = try await open(services)
        let first = try #require(try await services.consultations.versions(of: id).first)
        let citizen = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services)
        try await services.consultations.comment(on: id, sectionID: first.sections[0].id, parentID: nil, body: "Зауваження до першого розділу",
                                                 by: citizen, community: community, verifications: services.verifications, ip: nil)
        await #expect(throws: AppError.self) {
            try await services.consultations.publishVersion(of: id, sectionsText: "## Змінений\nновий текст", note: "", by: citizen,
                                                            community: community, ip: nil)
        }
        try await services.consultations.publishVersion(of: id, sectionsText: "## Перший (змінений)\nновий текст", note: "Враховано зауваження",
                                                        by: try await Fixtures.viewer("head@khmelnytskyi.demo", services), community: community, ip: nil)
        let versions = try await services.consultations.versions(of: id)
        #expect(versions.map(\.number) == [2, 1])
        #expect(versions[1].sections.map(\.heading) == ["Перший", "Другий"], "the earlier version is unchanged")
        let comments = try await services.consultations.comments(of: id, viewer: nil, moderates: false)
        #expect(comments.first?.sectionID == first.sections[0].id)
        // New comments go to the version in force only.
        await #expect(throws: AppError.self) {
            try await services.consultations.comment(on: id, sectionID: first.sections[1].id, parentID: nil, body: "До старої версії",
                                                     by: citizen, community: community, verifications: services.verifications, ip: nil)
        }
        try await services.consultations.comment(on: id, sectionID: versions[0].sections[0].id, parentID: comments.first?.id,
                                                 body: "Відповідь на зауваження", by: citizen, community: community,
                                                 verifications: services.verifications, ip: nil)
        #expect(try await services.consultations.comments(of: id, viewer: nil, moderates: false).count == 2)
    }

    @Test func preModerationHoldsCommentsUntilApproved() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let id = try await open(services, moderation: .pre)
        let citizen = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services)
        try await services.consultations.comment(on: id, sectionID: nil, parentID: nil, body: "Мій коментар", by: citizen, community: community,
                                                 verifications: services.verifications, ip: nil)
        #expect(try await services.consultations.comments(of: id, viewer: nil, moderates: false).isEmpty)
        #expect(try await services.consultations.comments(of: id, viewer: citizen, moderates: false).count == 1, "the author sees it")
        let comment = try #require(try await services.consultations.comments(of: id, viewer: nil, moderates: true).first)
        let moderator = try await Fixtures.viewer("moderator@khmelnytskyi.demo", services)
        try await services.consultations.moderate(comment.id, consultationID: id, approve: true, reason: "", by: moderator, community: community, ip: nil)
        #expect(try await services.consultations.comments(of: id, viewer: nil, moderates: false).first?.status == "published")
        await #expect(throws: AppError.self) {
            try await services.consultations.moderate(comment.id, consultationID: id, approve: false, reason: "", by: moderator, community: community, ip: nil)
        }
        try await services.consultations.moderate(comment.id, consultationID: id, approve: false, reason: "Образливі висловлювання", by: moderator,
                                                  community: community, ip: nil)
        let removed = try #require(try await services.consultations.comments(of: id, viewer: nil, moderates: false).first)
        #expect(removed.status == "removed" && removed.removalReason == "Образливі висловлювання")
    }

    @Test func closingAggregatingAndReporting() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let id = try await open(services)
        let question = try #require(try await services.consultations.questions(of: id).first)
        let ids = try await services.database.transaction { session in
            try await DemoData.addResidents(5, prefix: UUID().uuidString.prefix(8).lowercased(), communityID: community.id, passwordHash: "x", on: session)
        }
        for (index, person) in ids.enumerated() {
            let voter = Viewer(person: Person(id: person, email: "", fullName: "", language: .uk),
                               grants: [RoleGrant(id: 0, communityID: community.id, role: .citizen)], sessionTokenHash: [])
            try await services.consultations.submit([question.id: .choices([index < 3 ? 0 : 1])], to: id, by: voter, community: community,
                                                    verifications: services.verifications, ip: nil)
        }
        let head = try await Fixtures.viewer("head@khmelnytskyi.demo", services)
        await #expect(throws: AppError.self) {
            try await services.consultations.publishReport(of: id, summary: "Підсумки консультації", by: head, community: community, ip: nil)
        }
        try await services.database.query("UPDATE consultations SET starts_on = starts_on - 20, ends_on = current_date - 1 WHERE id = $1", id)
        try await services.database.transaction { session in _ = try await ConsultationStore.closeEnded(on: session) }
        #expect(try await services.consultations.find(id, communityID: community.id).closedAt != nil)
        let results = try await services.consultations.results(of: id)
        #expect(results.first?.counts == [3, 2] && results.first?.answered == 5)
        let figures = try await services.consultations.figures(of: id)
        #expect(figures.submissions == 5 && figures.residents == 5)
        await #expect(throws: AppError.self) {
            try await services.consultations.submit([question.id: .choices([0])], to: id, by: try await Fixtures.viewer("citizen@khmelnytskyi.demo", services),
                                                    community: community, verifications: services.verifications, ip: nil)
        }
        try await services.consultations.addConclusion(to: id, proposal: "Залишити все як є", decision: "rejected", reason: "Більшість за зміни",
                                                       by: head, community: community, ip: nil)
        try await services.consultations.publishReport(of: id, summary: "Підсумки консультації: більшість підтримала проєкт.", by: head,
                                                       community: community, ip: nil)
        let document = try #require(try await services.workflow.find(sourceType: ConsultationStore.sourceType, sourceID: String(id), communityID: community.id))
        #expect(document.kind == .consultationReport && document.reference.hasPrefix("ЕК-"))
        let told: Int = try await services.database.query(
            "SELECT count(*)::int AS n FROM outbox_messages WHERE body LIKE '%/consultations/' || $1 AND person_id = ANY($2)", String(id), ids
        )[0].decode("n")
        #expect(told == 5, "every participant is told")
        #expect(try await services.consultations.find(id, communityID: community.id).phase(on: services.todayInKyiv) == .reported)
    }

    /// Supporting a comment counts once; afterwards the page says so instead of offering the button.
    @Test func supportCountsOnceAndTheButtonGoes() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let id = try await open(services)
        try await services.consultations.comment(on: id, sectionID: nil, parentID: nil, body: "Пропозиція щодо освітлення двору",
                                                 by: try await Fixtures.viewer("resident-demo-7@khmelnytskyi.demo", services), community: community,
                                                 verifications: services.verifications, ip: nil)
        let comment = try #require(try await services.consultations.comments(of: id, viewer: nil, moderates: false).first)
        let path = "/khmelnytskyi/consultations/\(id)"
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let before = try await browser.get(path)
            #expect(before.body.contains(#"action="\#(path)/comments/\#(comment.id)/support""#))
            try await browser.post("\(path)/comments/\(comment.id)/support", form: [:])
            try await browser.get(path)
            try await browser.post("\(path)/comments/\(comment.id)/support", form: [:])
            let after = try await browser.get(path)
            #expect(!after.body.contains(#"action="\#(path)/comments/\#(comment.id)/support""#))
            #expect(after.body.contains("Ви підтримали"))
        }
        let supported = try await services.consultations.comments(of: id, viewer: try await Fixtures.viewer("citizen@khmelnytskyi.demo", services), moderates: false)
        #expect(supported.first?.supports == 1 && supported.first?.supportedByViewer == true)
    }

    @Test func pagesFormsAndBadInput() async throws {
        let services = try await services()
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let lighting = try #require(try await services.communities.departments(of: community.id).first { $0.slug == "street-lighting" })
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("official@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/consultations/new")
            let today = services.todayInKyiv
            var form = [
                "title": "Проєкт рішення про благоустрій двору", "question": "Чи підтримуєте ви проєкт благоустрою?", "department": String(lighting.id),
                "starts_on": today.isoString, "ends_on": today.adding(days: 14).isoString, "format": "both", "participation": "verified",
                "minimum_age": "14", "moderation": "post", "sections": "## Мета\nОблаштувати двір.", "survey": "? Підтримуєте? [single]\n- Так",
                "documents": "",
            ]
            let bad = try await browser.post("/khmelnytskyi/consultations", form: form)
            #expect(bad.status == .unprocessableContent && bad.body.contains("field-error"))
            form["survey"] = "? Підтримуєте? [single]\n- Так\n- Ні"
            let created = try await browser.post("/khmelnytskyi/consultations", form: form)
            let path = try #require(created.location)
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let page = try await browser.get(path)
            #expect(page.body.contains("Мета") && page.body.contains(#"action="\#(path)/survey""#))
            let consultationID = try #require(Int(path.split(separator: "/").last ?? ""))
            let question = try #require(try await services.consultations.questions(of: consultationID).first)
            let missing = try await browser.post("\(path)/survey", form: [:])
            #expect(missing.status == .unprocessableContent)
            let answered = try await browser.post("\(path)/survey", form: ["q\(question.id)": "0"])
            #expect(answered.location == "\(path)#survey")
            let again = try await browser.post("\(path)/survey", form: ["q\(question.id)": "1"])
            #expect(again.status == .conflict)
        }
    }
}
