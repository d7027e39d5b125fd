import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// Budget fixtures: cycles put straight into a phase, admitted projects, verified voters.
enum BudgetFixtures {
    /// A cycle with one category of `budget` kopecks and `projects` projects by the demo citizen,
    /// all admitted, in the phase `phase` today.
    static func cycle(_ services: AppServices, projects: Int, votesPerVoter: Int, scope: VoteScope = .category, phase: BudgetPhase = .voting,
                      budget: Int = 100_000_000, costs: [Int] = []) async throws -> (cycle: BudgetCycle, projects: [Int]) {
        let community = try await Fixtures.community(services)
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        let citizen = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services)
        let today = services.todayInKyiv
        var rules = BudgetRules(community.settings.budget)
        rules.votesPerVoter = votesPerVoter
        rules.voteScope = scope
        rules.maximumProjectsPerAuthor = 100
        let cycle = try await services.budget.createCycle(
            title: "Тестовий цикл \(UUID().uuidString.prefix(6))",
            schedule: BudgetSchedule(submissionStartsOn: today, reviewStartsOn: today.adding(days: 1), votingStartsOn: today.adding(days: 2),
                                     resultsStartsOn: today.adding(days: 3), implementationStartsOn: today.adding(days: 4)),
            rules: rules, by: admin, communityID: community.id, ip: nil)
        let lighting = try #require(try await services.communities.departments(of: community.id).first { $0.slug == "street-lighting" })
        try await services.budget.addCategory(to: cycle.id, nameUK: "Категорія", nameEN: "Category", budget: budget, departmentID: lighting.id,
                                              by: admin, communityID: community.id, ip: nil)
        let category = try await services.budget.categories(of: cycle.id)[0]
        var ids: [Int] = []
        for index in 0..<projects {
            let cost = index < costs.count ? costs[index] : 10_000_00
            ids.append(try await services.budget.submit(
                ProjectDraft(categoryID: category.id, title: "Проєкт номер \(index + 1) для перевірки", description: String(repeating: "Опис проєкту. ", count: 5),
                             location: nil, lines: [CostLine(item: "Роботи", quantityHundredths: 100, unitPrice: cost)]),
                to: cycle.id, by: citizen, community: community, verifications: services.verifications, ip: nil))
        }
        try await services.database.query("UPDATE budget_projects SET status = 'admitted' WHERE cycle_id = $1", cycle.id)
        try await move(cycle.id, to: phase, services)
        return (try await services.budget.cycle(cycle.id, communityID: community.id), ids)
    }

    /// Sets the cycle's dates so that `phase` is in force today.
    static func move(_ cycleID: Int, to phase: BudgetPhase, _ services: AppServices) async throws {
        let offset = BudgetPhase.allCases.firstIndex(of: phase)!
        // Each phase lasts ten days; the one wanted started yesterday.
        let starts = (1...5).map { services.todayInKyiv.adding(days: ($0 - offset) * 10 - 1) }
        try await services.database.query(
            """
            UPDATE budget_cycles SET submission_starts_on = $2, review_starts_on = $3, voting_starts_on = $4, results_starts_on = $5,
                                     implementation_starts_on = $6 WHERE id = $1
            """, cycleID, starts[0], starts[1], starts[2], starts[3], starts[4])
    }
}

@Suite struct BudgetTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "budget") }

    func voteCount(_ cycleID: Int, personID: Int, _ services: AppServices) async throws -> Int {
        try await services.database.query(
            "SELECT count(*)::int AS n FROM budget_votes WHERE cycle_id = $1 AND person_id = $2", cycleID, personID)[0].decode("n")
    }

    @Test func twentyConcurrentVotesNeverExceedTheLimit() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 20, votesPerVoter: 3)
        let voter = try await Fixtures.residents(1, services)[0]
        let outcomes = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for project in projects {
                group.addTask {
                    do { return .success(try await services.budget.vote(for: project, by: voter, community: community, rateLimiter: services.rateLimiter).votesLeft) }
                    catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let cast = outcomes.compactMap { try? $0.get() }
        #expect(cast.count == 3)
        #expect(Set(cast) == [0, 1, 2], "each accepted vote reports the votes left")
        for case .failure(let error) in outcomes {
            #expect([VotingRefusal.noVotesLeft, .rateLimited].contains(error as? VotingRefusal), "\(error)")
        }
        #expect(try await voteCount(cycle.id, personID: voter.person.id, services) == 3)
    }

    @Test func aVoterCountsOnceAcrossOnlineAndInPerson() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let staff = try await Fixtures.viewer("desk@khmelnytskyi.demo", services)
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 3, votesPerVoter: 2)
        let voter = try await Fixtures.residents(1, services)[0]
        // Nobody records their own ballot at the desk.
        let refusal = await #expect(throws: AppError.self) {
            try await services.budget.recordInPerson([projects[0]], voterID: voter.person.id, by: voter, community: community, ip: nil)
        }
        #expect(refusal?.fieldErrors == ["document_number": "budget.error.own_ballot"])
        #expect(try await voteCount(cycle.id, personID: voter.person.id, services) == 0)
        #expect(try await services.budget.vote(for: projects[0], by: voter, community: community, rateLimiter: services.rateLimiter).votesLeft == 1)
        await #expect(throws: VotingRefusal.alreadyVoted) {
            try await services.budget.recordInPerson([projects[0]], voterID: voter.person.id, by: staff, community: community, ip: nil)
        }
        // All of a ballot or nothing: the second choice is not kept when the first is refused.
        await #expect(throws: VotingRefusal.alreadyVoted) {
            try await services.budget.recordInPerson([projects[0], projects[1]], voterID: voter.person.id, by: staff, community: community, ip: nil)
        }
        #expect(try await voteCount(cycle.id, personID: voter.person.id, services) == 1)
        try await services.budget.recordInPerson([projects[1]], voterID: voter.person.id, by: staff, community: community, ip: nil)
        await #expect(throws: VotingRefusal.noVotesLeft) {
            try await services.budget.vote(for: projects[2], by: voter, community: community, rateLimiter: services.rateLimiter)
        }
        let channels = try await services.budget.votes(of: voter.person.id, in: cycle.id)
        #expect(channels == [projects[0]: .online, projects[1]: .inPerson])
    }

    @Test func ageResidenceAndVerification() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let (_, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1)
        let today = services.todayInKyiv
        func person(birthDate: CalendarDay, resident: Bool?) async throws -> Viewer {
            let tag = UUID().uuidString.prefix(8).lowercased()
            let person = try await services.accounts.signUp(email: "voter-\(tag)@example.ua", fullName: "Виборець \(tag)", password: "0123456789abc",
                                                            language: .uk, citizenOf: nil, ip: nil)
            if let resident {
                try await services.verifications.record(
                    IdentityClaims(fullName: "Виборець", birthDate: birthDate, isResident: resident, documentType: .idCard, documentNumber: "TST\(tag)"),
                    source: "in_person", personID: person.id, communityID: community.id, verifiedBy: nil, ip: nil)
            }
            return Viewer(person: person, grants: [], sessionTokenHash: [])
        }
        let fifteen = try await person(birthDate: CalendarDay(year: today.year - 16, month: today.month, day: today.day).adding(days: 1), resident: true)
        await #expect(throws: VotingRefusal.tooYoung) {
            try await services.budget.vote(for: projects[0], by: fifteen, community: community, rateLimiter: services.rateLimiter)
        }
        let sixteen = try await person(birthDate: CalendarDay(year: today.year - 16, month: today.month, day: today.day), resident: true)
        #expect(try await services.budget.vote(for: projects[0], by: sixteen, community: community, rateLimiter: services.rateLimiter).votesLeft == 0)
        let visitor = try await person(birthDate: CalendarDay(year: 1980, month: 5, day: 5), resident: false)
        await #expect(throws: VotingRefusal.notVerified) {
            try await services.budget.vote(for: projects[0], by: visitor, community: community, rateLimiter: services.rateLimiter)
        }
        let unverified = try await person(birthDate: CalendarDay(year: 1980, month: 5, day: 5), resident: nil)
        await #expect(throws: VotingRefusal.notVerified) {
            try await services.budget.vote(for: projects[0], by: unverified, community: community, rateLimiter: services.rateLimiter)
        }
    }

    @Test func noVotingBeforeOrAfterTheVotingPhase() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let voter = try await Fixtures.residents(1, services)[0]
        for phase in [BudgetPhase.review, .results] {
            let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1, phase: phase)
            await #expect(throws: VotingRefusal.notVoting) {
                try await services.budget.vote(for: projects[0], by: voter, community: community, rateLimiter: services.rateLimiter)
            }
            #expect(try await voteCount(cycle.id, personID: voter.person.id, services) == 0)
        }
        // A project that was not admitted is not on the ballot.
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1)
        try await services.database.query("UPDATE budget_projects SET status = 'rejected', review_reason = 'x' WHERE cycle_id = $1", cycle.id)
        await #expect(throws: VotingRefusal.notAdmitted) {
            try await services.budget.vote(for: projects[0], by: voter, community: community, rateLimiter: services.rateLimiter)
        }
    }

    @Test func votesAreFinalInTheDatabase() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let (_, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1)
        let voter = try await Fixtures.residents(1, services)[0]
        _ = try await services.budget.vote(for: projects[0], by: voter, community: community, rateLimiter: services.rateLimiter)
        await #expect(throws: PostgresError.self) {
            try await services.database.query("DELETE FROM budget_votes WHERE project_id = $1", projects[0])
        }
        await #expect(throws: PostgresError.self) {
            try await services.database.query("UPDATE budget_votes SET project_id = project_id WHERE project_id = $1", projects[0])
        }
    }

    @Test func aVoteNamesItsOwnProjectsCycle() async throws {
        let services = try await services()
        let (_, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1)
        let (other, _) = try await BudgetFixtures.cycle(services, projects: 0, votesPerVoter: 1)
        let voter = try await Fixtures.residents(1, services)[0]
        let error = await #expect(throws: PostgresError.self) {
            try await services.database.query(
                "INSERT INTO budget_votes (project_id, person_id, cycle_id, scope_id, channel) VALUES ($1, $2, $3, 0, 'online')",
                projects[0], voter.person.id, other.id)
        }
        #expect(error?.constraint == "budget_votes_project_cycle_fkey")
    }

    @Test func resultsArePublishedOnceAndReceiptsVerify() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        // 700 + 400 fill a budget of 1,100 exactly; 500 no longer fits; 100 has no votes.
        let (cycle, projects) = try await BudgetFixtures.cycle(
            services, projects: 4, votesPerVoter: 2, budget: 1_100_00, costs: [700_00, 500_00, 400_00, 100_00])
        let voters = try await Fixtures.residents(6, services)
        let choices = [[0, 1], [0, 1], [0, 2], [0], [1, 2], [2]]
        for (voter, picks) in zip(voters, choices) {
            for pick in picks { _ = try await services.budget.vote(for: projects[pick], by: voter, community: community, rateLimiter: services.rateLimiter) }
        }
        try await BudgetFixtures.move(cycle.id, to: .results, services)
        try await services.budget.advance(cycle.id, community: community)
        try await services.budget.advance(cycle.id, community: community)
        let published = try await services.budget.cycle(cycle.id, communityID: community.id)
        #expect(published.ballotsCount == 6)
        let steps = try await services.budget.results(of: cycle.id)[0].steps.map(\.step)
        // Projects 2 and 3 tie on three votes: the cheaper goes first and exhausts the budget.
        #expect(steps.map(\.projectID) == [projects[0], projects[2], projects[1], projects[3]])
        #expect(steps.map(\.votes) == [4, 3, 3, 0])
        #expect(steps.map(\.outcome) == [.won, .won, .doesNotFit, .noVotes])
        #expect(steps.last?.moneyLeftAfter == 0)
        let winners = try await services.budget.projects(of: cycle.id).filter { $0.implementation == .planned }.map(\.id).sorted()
        #expect(winners == [projects[0], projects[2]].sorted())

        let code = services.budget.receiptCode(cycleID: cycle.id, personID: voters[2].person.id)
        let ballot = try #require(try await services.budget.ballot(receiptCode: code.lowercased(), cycleID: cycle.id))
        #expect(ballot.projectIDs == [projects[0], projects[2]].sorted())
        #expect(try await services.budget.ballot(receiptCode: "0000-0000-0000-0000", cycleID: cycle.id) == nil)
        let recount = try await services.budget.recount(published)
        #expect(recount.digestMatches && recount.mismatchedProjects.isEmpty && recount.ballots == 6)
        // The published ballots carry no person: only the hash and the choices.
        let columns = try await services.database.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'budget_published_ballots' ORDER BY column_name")
            .map { try $0.decode("column_name", as: String.self) }
        #expect(columns == ["cycle_id", "project_ids", "receipt_hash"])
        // A ballot changed afterwards shows in the recount.
        try await services.database.query(
            "UPDATE budget_published_ballots SET project_ids = $3 WHERE cycle_id = $1 AND receipt_hash = $2", cycle.id, ballot.receiptHash, [projects[1]])
        #expect(try await services.budget.recount(published).digestMatches == false)
    }

    @Test func theAPIVotesOnceThenConflicts() async throws {
        let services = try await services()
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 2, votesPerVoter: 1)
        try await services.database.query("UPDATE budget_cycles SET counts_visible_while_voting = false WHERE id = $1", cycle.id)
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let session = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email": "citizen@khmelnytskyi.demo", "password": "demo-password"}"#))
            let token = try #require((try JSONSerialization.jsonObject(with: Data(buffer: session.body)) as? [String: Any])?["token"] as? String)
            let uri = "/api/v1/khmelnytskyi/budget/projects/\(projects[0])/votes"
            let anonymous = try await client.execute(uri: uri, method: .post, headers: [:])
            #expect(anonymous.status == .unauthorized)
            let first = try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(first.status == .created)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: first.body)) as? [String: Any])
            #expect(body["votes_left"] as? Int == 0)
            #expect((body["receipt"] as? String)?.count == 19)
            let again = try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(again.status == .conflict)
            #expect(again.headers[.contentType] == "application/problem+json")
            #expect(String(buffer: again.body).contains(#""type":"\/problems\/conflict""#))
            let other = try await client.execute(uri: "/api/v1/khmelnytskyi/budget/projects/\(projects[1])/votes", method: .post,
                                                 headers: [.authorization: "Bearer \(token)"])
            #expect(other.status == .conflict, "one vote per voter in this cycle")
            let missing = try await client.execute(uri: "/api/v1/khmelnytskyi/budget/projects/99999999/votes", method: .post,
                                                   headers: [.authorization: "Bearer \(token)"])
            #expect(missing.status == .notFound)
            let notANumber = try await client.execute(uri: "/api/v1/khmelnytskyi/budget/projects/abc/votes", method: .post,
                                                      headers: [.authorization: "Bearer \(token)"])
            #expect(notANumber.status == .notFound)
            // Counts stay hidden while voting when the cycle says so.
            let listing = try await client.execute(uri: "/api/v1/khmelnytskyi/budget/cycles/\(cycle.id)/projects", method: .get)
            let projectsJSON = try #require(try JSONSerialization.jsonObject(with: Data(buffer: listing.body)) as? [[String: Any]])
            #expect(projectsJSON.count == 2 && projectsJSON.allSatisfy { $0["votes"] == nil })
        }
    }

    @Test func onlyTheAuthorEditsAndOnlyDuringSubmission() async throws {
        let services = try await services()
        let (cycle, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1, phase: .submission)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("moderator@khmelnytskyi.demo")
            let foreign = try await browser.get("/khmelnytskyi/budget/projects/\(projects[0])/edit")
            #expect(foreign.status == .forbidden)
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let form = try await browser.get("/khmelnytskyi/budget/projects/\(projects[0])/edit")
            #expect(form.status == .ok)
            // A line without a price is refused, the form comes back with the message, and nothing changes.
            let bad = try await browser.post("/khmelnytskyi/budget/projects/\(projects[0])/edit", form: [
                "category": "x", "title": "Нова назва проєкту", "description": String(repeating: "Опис. ", count: 12),
                "item_1": "Лавка", "quantity_1": "2", "price_1": "",
            ])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("field-error"))
            let title: String = try await services.database.query("SELECT title FROM budget_projects WHERE id = $1", projects[0])[0].decode("title")
            #expect(title.hasPrefix("Проєкт номер"))
            let category = try await services.budget.categories(of: cycle.id)[0].id
            let good = try await browser.post("/khmelnytskyi/budget/projects/\(projects[0])/edit", form: [
                "category": String(category), "title": "Нова назва проєкту", "description": String(repeating: "Опис. ", count: 12),
                "item_1": "Лавка", "quantity_1": "2", "price_1": "1500,50",
            ])
            #expect(good.status == .seeOther || good.status == .found)
            let project = try await services.budget.project(projects[0], communityID: cycle.communityID)
            #expect(project.title == "Нова назва проєкту" && project.estimatedCost == 300_100)
            try await BudgetFixtures.move(cycle.id, to: .review, services)
            try await browser.get("/khmelnytskyi/budget/projects/\(projects[0])/edit")
            let frozen = try await browser.post("/khmelnytskyi/budget/projects/\(projects[0])/edit", form: [
                "category": String(category), "title": "Ще інша назва проєкту", "description": String(repeating: "Опис. ", count: 12),
                "item_1": "Лавка", "quantity_1": "1", "price_1": "10",
            ])
            #expect(frozen.status == .conflict)
            #expect(try await services.budget.project(projects[0], communityID: cycle.communityID).title == "Нова назва проєкту")
        }
    }

    @Test func implementationNewsOnlyFromTheDepartmentAndOnlyForWinners() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let (_, projects) = try await BudgetFixtures.cycle(services, projects: 1, votesPerVoter: 1, phase: .implementation)
        let citizen = try await Fixtures.viewer("citizen@khmelnytskyi.demo", services)
        let head = try await Fixtures.viewer("head@khmelnytskyi.demo", services)
        await #expect(throws: AppError.self) {
            try await services.budget.postUpdate(on: projects[0], status: .done, progress: 100, spent: 1, text: "Готово", by: head, community: community, ip: nil)
        }
        try await services.database.query("UPDATE budget_projects SET implementation_status = 'planned' WHERE id = $1", projects[0])
        try await services.budget.setFollowing(true, projectID: projects[0], personID: try await Fixtures.viewer("moderator@khmelnytskyi.demo", services).person.id)
        do {
            try await services.budget.postUpdate(on: projects[0], status: .done, progress: 100, spent: 1, text: "Готово", by: citizen, community: community, ip: nil)
            Issue.record("a citizen posted implementation news")
        } catch let error as AppError { #expect(error.kind == .forbidden) }
        do {
            try await services.budget.postUpdate(on: projects[0], status: .inProgress, progress: 140, spent: nil, text: "", by: head, community: community, ip: nil)
            Issue.record("bad news fields were accepted")
        } catch let error as AppError { #expect(error.fieldErrors.keys.sorted() == ["progress", "spent", "text"]) }
        let newsFor = "SELECT count(*)::int AS n FROM outbox_messages WHERE body LIKE '%/budget/projects/' || $1"
        try await services.budget.postUpdate(on: projects[0], status: .inProgress, progress: 40, spent: 5_000_00, text: "Роботи почалися",
                                             by: head, community: community, ip: nil)
        let project = try await services.budget.project(projects[0], communityID: community.id)
        #expect(project.implementation == .inProgress && project.progress == 40 && project.spent == 5_000_00)
        let told: Int = try await services.database.query(newsFor, String(projects[0]))[0].decode("n")
        #expect(told == 2, "the follower and the author are told")
    }
}
