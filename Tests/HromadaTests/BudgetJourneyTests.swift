import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import Testing

@testable import Hromada

/// The acceptance path through the pages, as people click it: an administrator opens a cycle,
/// a resident submits a project, the department reviews it, residents vote online and in person,
/// the results show each step, and a voter checks their receipt.
@Suite struct BudgetJourneyTests {
    @Test func fromOpeningACycleToCheckingAReceipt() async throws {
        let services = try await TestApp.services(suite: "budget_journey")
        let community = try await Fixtures.community(services)
        let today = services.todayInKyiv
        let lighting = try #require(try await services.communities.departments(of: community.id).first { $0.slug == "street-lighting" })
        try await TestApp.withBrowser(services) { browser in
            // The administrator opens a cycle; a bad date comes back with its message and creates nothing.
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/admin/budget")
            var cycleForm = [
                "title": "Бюджет участі: перевірка", "submission_starts_on": today.isoString, "review_starts_on": today.adding(days: 10).isoString,
                "voting_starts_on": today.adding(days: 20).isoString, "results_starts_on": today.adding(days: 30).isoString,
                "implementation_starts_on": today.adding(days: 40).isoString, "maximum_project_cost": "150000", "author_minimum_age": "16",
                "maximum_projects_per_author": "2", "voter_minimum_age": "16", "votes_per_voter": "1", "vote_scope": "category",
                "counts_visible": "yes",
            ]
            cycleForm["voting_starts_on"] = "2026-02-30"
            let badCycle = try await browser.post("/khmelnytskyi/admin/budget", form: cycleForm)
            #expect(badCycle.status == .unprocessableContent)
            #expect(try await services.budget.cycles(communityID: community.id).contains { $0.title == "Бюджет участі: перевірка" } == false)
            cycleForm["voting_starts_on"] = today.adding(days: 20).isoString
            let created = try await browser.post("/khmelnytskyi/admin/budget", form: cycleForm)
            let cyclePath = try #require(created.location)
            let cycleID = try #require(Int(cyclePath.split(separator: "/").last ?? ""))
            try await browser.get(cyclePath)
            try await browser.post("\(cyclePath)/categories", form: [
                "name_uk": "Освітлення", "name_en": "Lighting", "budget": "200000", "department": String(lighting.id),
            ])
            let category = try #require(try await services.budget.categories(of: cycleID).first)
            #expect(category.budget == 20_000_000 && category.departmentID == lighting.id)

            // A resident submits a project with an itemised estimate; the server adds it up.
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let newPage = try await browser.get("/khmelnytskyi/budget/cycles/\(cycleID)/projects/new")
            #expect(newPage.status == .ok && newPage.body.contains("item_10"))
            let projectForm = [
                "category": String(category.id), "title": "Ліхтарі на алеї до ліцею №2",
                "description": "Встановити шість LED-ліхтарів уздовж темної алеї, якою щовечора ходять учні ліцею та мешканці будинків поруч.",
                "latitude": "49.4196", "longitude": "26.9785",
                "item_1": "Ліхтар з опорою", "quantity_1": "6", "price_1": "18 500", "item_2": "Кабель, м", "quantity_2": "120,5", "price_2": "95,40",
            ]
            // A text file named like a photo is refused; the form comes back and nothing is stored.
            let renamed = try await browser.postMultipart("/khmelnytskyi/budget/cycles/\(cycleID)/projects", form: projectForm,
                                                          files: [("photos", "alley.jpg", Array("not a picture".utf8))])
            #expect(renamed.status == .unprocessableContent && renamed.body.contains("field-error"))
            #expect(try await services.budget.projects(of: cycleID).isEmpty)
            let submitted = try await browser.postMultipart("/khmelnytskyi/budget/cycles/\(cycleID)/projects", form: projectForm,
                                                            files: [("photos", "alley.jpg", SampleImages.jpegWithGPS)])
            let projectPath = try #require(submitted.location)
            let projectID = try #require(Int(projectPath.split(separator: "/").last ?? ""))
            var project = try await services.budget.project(projectID, communityID: community.id)
            #expect(project.estimatedCost == 6 * 18_500_00 + (12_050 * 9_540 + 50) / 100)
            #expect(project.location == GeoPoint(latitude: 49.4196, longitude: 26.9785))
            let page = try await browser.get(projectPath)
            #expect(page.body.contains("122\u{00A0}495,70"), "the total is shown")
            // The photo is served without its location.
            let photoPath = try #require(page.body.range(of: #"/media/[0-9]+"#, options: .regularExpression).map { String(page.body[$0]) })
            let photo = try await browser.get(photoPath)
            #expect(photo.headers[.contentType] == "image/jpeg")
            #expect(!photo.body.contains("GPS") && photo.body.contains("JFIF"))

            // The administrator closes submission early: the project is registered with the lighting department.
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get(cyclePath)
            let noReason = try await browser.post("\(cyclePath)/close-phase", form: ["reason": ""])
            #expect(noReason.status == .unprocessableContent)
            try await browser.post("\(cyclePath)/close-phase", form: ["reason": "Подано достатньо проєктів"])
            let document = try #require(try await services.workflow.find(sourceType: BudgetStore.sourceType, sourceID: String(projectID), communityID: community.id))
            #expect(document.departmentID == lighting.id && document.kind == .budgetProject)

            // The department head takes it and admits it with a corrected cost; a bad cost changes nothing.
            try await browser.signIn("head@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/office/documents/\(document.id)")
            try await browser.post("/khmelnytskyi/office/documents/\(document.id)/actions", form: ["action": "take"])
            let officePage = try await browser.get("/khmelnytskyi/office/documents/\(document.id)")
            #expect(officePage.body.contains(#"name="corrected_cost""#))
            let badCost = try await browser.post("/khmelnytskyi/office/documents/\(document.id)/actions", form: [
                "action": "answer", "outcome": "admitted", "comment": "Кошторис перевірено", "corrected_cost": "двісті",
            ])
            #expect(badCost.status == .unprocessableContent)
            #expect(try await services.budget.project(projectID, communityID: community.id).status == .submitted)
            try await browser.post("/khmelnytskyi/office/documents/\(document.id)/actions", form: [
                "action": "answer", "outcome": "admitted", "comment": "Кошторис перевірено; кабель дешевший.", "corrected_cost": "120000",
            ])
            project = try await services.budget.project(projectID, communityID: community.id)
            #expect(project.status == .admitted && project.cost == 12_000_000 && project.reviewReason == "Кошторис перевірено; кабель дешевший.")

            // Review closes; residents vote online, and once more is refused with a message.
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get(cyclePath)
            try await browser.post("\(cyclePath)/close-phase", form: ["reason": "Розгляд завершено"])
            try await browser.signIn("citizen@khmelnytskyi.demo")
            let ballot = try await browser.get("/khmelnytskyi/budget/cycles/\(cycleID)")
            #expect(ballot.body.contains("\(projectPath)/vote"))
            let voted = try await browser.post("\(projectPath)/vote", form: [:])
            #expect(voted.location == projectPath)
            let votedPage = try await browser.get(projectPath)
            let receipt = try #require(votedPage.body.range(of: #"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"#, options: .regularExpression)
                .map { String(votedPage.body[$0]) })
            let twice = try await browser.post("\(projectPath)/vote", form: [:])
            #expect(twice.status == .conflict && twice.body.contains("form-error"))

            // At the service centre, staff find a resident by passport and record their vote; the
            // citizen who voted online is shown as having voted.
            let walkIn = try await Fixtures.residents(1, services)[0]
            try await services.verifications.record(
                IdentityClaims(fullName: "Петро Мельник", birthDate: CalendarDay(year: 1970, month: 3, day: 3), isResident: true,
                               documentType: .passportBooklet, documentNumber: "НК 123456"),
                source: "in_person", personID: walkIn.person.id, communityID: community.id, verifiedBy: nil,
                replacing: "Паспорт замість ID-картки", ip: nil)
            try await browser.signIn("desk@khmelnytskyi.demo")
            try await browser.get("/khmelnytskyi/office/budget")
            let unknown = try await browser.post("/khmelnytskyi/office/budget/voter", form: ["document_type": "id_card", "document_number": "000000000"])
            #expect(unknown.status == .unprocessableContent)
            let citizenDesk = try await browser.post("/khmelnytskyi/office/budget/voter", form: ["document_type": "id_card", "document_number": "DEMO000005"])
            #expect(citizenDesk.body.contains("Ірина Мешканка") && !citizenDesk.body.contains(#"name="project_\#(projectID)""#))
            let desk = try await browser.post("/khmelnytskyi/office/budget/voter", form: ["document_type": "passport_booklet", "document_number": "нк123456"])
            #expect(desk.body.contains("Петро Мельник") && desk.body.contains(#"name="project_\#(projectID)""#))
            let token = try #require(desk.body.range(of: #"name="voter_token" value="([^"]*)""#, options: .regularExpression)
                .map { String(desk.body[$0]).split(separator: "\"")[3] })
            // The voter cannot be swapped: a token made for one person does not record for another.
            let swapped = try await browser.post("/khmelnytskyi/office/budget/ballots", form: [
                "voter": String(walkIn.person.id + 1), "voter_token": String(token), "project_\(projectID)": "yes",
            ])
            #expect(swapped.status == .unprocessableContent)
            #expect(try await services.budget.votes(of: walkIn.person.id + 1, in: cycleID).isEmpty)
            try await browser.post("/khmelnytskyi/office/budget/ballots", form: [
                "voter": String(walkIn.person.id), "voter_token": String(token), "project_\(projectID)": "yes",
            ])
            #expect(try await services.budget.votes(of: walkIn.person.id, in: cycleID) == [projectID: .inPerson])

            // Voting closes: the results show the winner and each step, and the receipt checks out.
            try await browser.signIn("admin@khmelnytskyi.demo")
            try await browser.get(cyclePath)
            try await browser.post("\(cyclePath)/close-phase", form: ["reason": "Голосування завершено"])
            let results = try await browser.get("/khmelnytskyi/budget/cycles/\(cycleID)/results?receipt=\(receipt.lowercased())")
            #expect(results.body.contains("Ліхтарі на алеї до ліцею №2"))
            #expect(results.body.contains(#"<svg class="bar won""#) && results.body.contains("class=\"ok\">переміг"))
            #expect(results.body.contains("80\u{00A0}000,00"), "money left after the winner")
            #expect(results.body.contains(try #require(try await services.budget.cycle(cycleID, communityID: community.id).ballotsDigest)))
            #expect(results.body.contains("role=\"status\"><p>Бюлетень враховано"))
            let recount = try await browser.get("/khmelnytskyi/budget/cycles/\(cycleID)/results?recount=1")
            #expect(recount.body.contains("збігається з опублікованим"))
            let ballotsCSV = try await browser.get("/khmelnytskyi/open-data/budget/\(cycleID)/ballots.csv")
            #expect(ballotsCSV.body.split(separator: "\r\n").count == 3)
            #expect(ballotsCSV.body.contains(BallotReceipts.hash(ofCode: receipt)))
            let resultsCSV = try await browser.get("/khmelnytskyi/open-data/budget/\(cycleID)/results.csv")
            #expect(resultsCSV.body.contains(",2,120000,200000,won"))
        }
    }
}
