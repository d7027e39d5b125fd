import Foundation
import Postgres
import Testing

@testable import Hromada

/// The budget's rules as plain values: the tally, the phases, money, receipts, eligibility.
@Suite struct BudgetRulesTests {
    let day0 = Date(timeIntervalSince1970: 1_700_000_000)

    func candidate(_ id: Int, votes: Int, cost: Int, submittedSecondsLater: Double = 0) -> BudgetTally.Candidate {
        BudgetTally.Candidate(projectID: id, votes: votes, cost: cost, submittedAt: day0.addingTimeInterval(submittedSecondsLater))
    }

    @Test func budgetExactlyExhausted() {
        let steps = BudgetTally.tally([candidate(1, votes: 50, cost: 600), candidate(2, votes: 40, cost: 400), candidate(3, votes: 30, cost: 1)],
                                      budget: 1000)
        #expect(steps.map(\.outcome) == [.won, .won, .doesNotFit])
        #expect(steps[1].moneyLeftAfter == 0)
        #expect(steps[2].moneyLeftBefore == 0)
    }

    @Test func aProjectThatDoesNotFitIsSkippedAndTheNextTried() {
        let steps = BudgetTally.tally(
            [candidate(1, votes: 90, cost: 700), candidate(2, votes: 80, cost: 500), candidate(3, votes: 70, cost: 300), candidate(4, votes: 60, cost: 100)],
            budget: 1000)
        #expect(steps.map(\.projectID) == [1, 2, 3, 4])
        #expect(steps.map(\.outcome) == [.won, .doesNotFit, .won, .doesNotFit])
        #expect(steps.map(\.moneyLeftBefore) == [1000, 300, 300, 0])
    }

    @Test func tiesGoToTheCheaperThenTheEarlierThenTheLowerNumber() {
        let ranked = BudgetTally.ranked([
            candidate(5, votes: 10, cost: 300), candidate(4, votes: 10, cost: 200, submittedSecondsLater: 60),
            candidate(3, votes: 10, cost: 200, submittedSecondsLater: 30), candidate(2, votes: 10, cost: 200, submittedSecondsLater: 30),
            candidate(1, votes: 11, cost: 900),
        ])
        #expect(ranked.map(\.projectID) == [1, 2, 3, 4, 5])
        // The order does not depend on the order of the input.
        #expect(BudgetTally.ranked(ranked.reversed()).map(\.projectID) == [1, 2, 3, 4, 5])
    }

    @Test func emptyCategoryAndProjectsWithoutVotes() {
        #expect(BudgetTally.tally([], budget: 1000).isEmpty)
        let steps = BudgetTally.tally([candidate(1, votes: 0, cost: 10), candidate(2, votes: 3, cost: 2000)], budget: 1000)
        #expect(steps.map(\.outcome) == [.doesNotFit, .noVotes])
        #expect(steps.allSatisfy { $0.moneyLeftAfter == 1000 })
    }

    @Test func countingBallots() {
        #expect(BudgetTally.count([[1, 2], [2, 3], [2]]) == [1: 1, 2: 3, 3: 1])
    }

    @Test func phasesFollowTheDatesAndCloseEarly() {
        let start = CalendarDay(year: 2026, month: 3, day: 1)
        let schedule = BudgetSchedule(submissionStartsOn: start, reviewStartsOn: start.adding(days: 30), votingStartsOn: start.adding(days: 60),
                                      resultsStartsOn: start.adding(days: 75), implementationStartsOn: start.adding(days: 90))
        #expect(schedule.phase(on: start.adding(days: -1)) == .announced)
        #expect(schedule.phase(on: start) == .submission)
        #expect(schedule.phase(on: start.adding(days: 29)) == .submission)
        #expect(schedule.phase(on: start.adding(days: 30)) == .review)
        #expect(schedule.phase(on: start.adding(days: 74)) == .voting)
        #expect(schedule.phase(on: start.adding(days: 75)) == .results)
        #expect(schedule.phase(on: start.adding(days: 400)) == .implementation)
        #expect(schedule.lastDay(of: .voting) == start.adding(days: 74))
        #expect(schedule.lastDay(of: .implementation) == nil)

        let today = start.adding(days: 65)
        let closed = try! #require(schedule.closingCurrentPhase(on: today))
        #expect(closed.phase(on: today) == .results)
        #expect(closed.resultsStartsOn == today && closed.implementationStartsOn == start.adding(days: 90))
        #expect(closed.isOrdered)
        // Closing submission on its last planned day's eve pulls later phases along only if they would come before it.
        let early = try! #require(schedule.closingCurrentPhase(on: start.adding(days: 5)))
        #expect(early.reviewStartsOn == start.adding(days: 5) && early.votingStartsOn == start.adding(days: 60))
        #expect(schedule.closingCurrentPhase(on: start.adding(days: -3)) == nil)
        #expect(schedule.closingCurrentPhase(on: start.adding(days: 200)) == nil)
        var backwards = schedule
        backwards.votingStartsOn = start.adding(days: 10)
        #expect(!backwards.isOrdered)
    }

    @Test func moneyIsParsedAndWrittenLikeUkrainianDocuments() {
        #expect(Money.hundredths("150000") == 15_000_000)
        #expect(Money.hundredths("1 234,5") == 123_450)
        #expect(Money.hundredths("0.07") == 7)
        for bad in ["", "abc", "1,234,5", "1.234", "-5", "١٢", "1e5"] { #expect(Money.hundredths(bad) == nil, "\(bad)") }
        #expect(Money.format(15_000_000) == "150\u{00A0}000,00")
        #expect(Money.format(123_456_789) == "1\u{00A0}234\u{00A0}567,89")
        #expect(Money.format(5) == "0,05")
        // 12.5 m² at 420.33 UAH = 5254.125 → rounds half up to 5254.13.
        #expect(CostLine(item: "m²", quantityHundredths: 1250, unitPrice: 42_033).total == 525_413)
    }

    @Test func draftsFromForms() {
        let form = FormData(urlEncoded: "category=3&title=Lavky&description=x&latitude=49.42&longitude=26.98&item_1=Lavka&quantity_1=2&price_1=1500,50&item_3=Urna&quantity_3=1&price_3=800")
        let (draft, errors) = ProjectDraft.from(form)
        #expect(errors.isEmpty)
        #expect(draft.lines.count == 2 && draft.estimatedCost == 2 * 150_050 + 80_000)
        #expect(draft.location == GeoPoint(latitude: 49.42, longitude: 26.98))
        let bad = ProjectDraft.from(FormData(urlEncoded: "item_1=Lavka&quantity_1=-2&price_1=10&latitude=91&longitude=0"))
        #expect(bad.errors.keys.sorted() == ["lines", "location"])
    }

    @Test func submissionRules() {
        let today = CalendarDay(year: 2026, month: 11, day: 27)
        let rules = BudgetRules(CommunitySettings.Budget())
        let adult = VerifiedIdentity(fullName: "A", birthDate: CalendarDay(year: 1990, month: 1, day: 1), isResident: true, source: "in_person", verifiedAt: Date())
        #expect(BudgetSubmissionRules.refusal(phase: .submission, identity: adult, today: today, rules: rules, projectsByAuthor: 1) == nil)
        #expect(BudgetSubmissionRules.refusal(phase: .submission, identity: adult, today: today, rules: rules, projectsByAuthor: 2) == "budget.refusal.too_many_projects")
        #expect(BudgetSubmissionRules.refusal(phase: .review, identity: adult, today: today, rules: rules, projectsByAuthor: 0) == "budget.refusal.not_submission")
        #expect(BudgetSubmissionRules.refusal(phase: .submission, identity: nil, today: today, rules: rules, projectsByAuthor: 0) == "budget.refusal.not_verified")
        var young = adult
        young.birthDate = CalendarDay(year: 2010, month: 11, day: 28)  // 15 until tomorrow
        #expect(BudgetSubmissionRules.refusal(phase: .submission, identity: young, today: today, rules: rules, projectsByAuthor: 0) == "budget.refusal.too_young")
        var visitor = adult
        visitor.isResident = false
        #expect(BudgetSubmissionRules.refusal(phase: .submission, identity: visitor, today: today, rules: rules, projectsByAuthor: 0) == "budget.refusal.not_verified")

        let category = BudgetCategory(id: 7, cycleID: 1, nameUK: "К", nameEN: "C", budget: 100, departmentID: 1)
        let tooExpensive = ProjectDraft(categoryID: 7, title: "Досить довга назва", description: String(repeating: "о", count: 60), location: nil,
                                        lines: [CostLine(item: "x", quantityHundredths: 100, unitPrice: rules.maximumProjectCost + 1)])
        #expect(BudgetSubmissionRules.errors(tooExpensive, rules: rules, categories: [category]) == ["lines": "budget.error.too_expensive"])
        let wrongCategory = ProjectDraft(categoryID: 8, title: "Коротко", description: "", location: nil, lines: [])
        #expect(BudgetSubmissionRules.errors(wrongCategory, rules: rules, categories: [category]).keys.sorted() == ["category", "description", "lines", "title"])
    }

    @Test func votingChecks() {
        let today = CalendarDay(year: 2026, month: 11, day: 27)
        var facts = VotingFacts(projectStatus: .admitted, isVotingOpen: true, today: today, birthDate: CalendarDay(year: 2010, month: 11, day: 27),
                                isResident: true, voterMinimumAge: 16, votesCast: 2, voteLimit: 3)
        #expect(VotingRefusal.check(facts) == nil)
        facts.birthDate = CalendarDay(year: 2010, month: 11, day: 28)
        #expect(VotingRefusal.check(facts) == .tooYoung)
        facts.birthDate = CalendarDay(year: 1980, month: 1, day: 1)
        facts.votesCast = 3
        #expect(VotingRefusal.check(facts) == .noVotesLeft)
        facts.isResident = false
        #expect(VotingRefusal.check(facts) == .notVerified)
        facts.projectStatus = .rejected
        #expect(VotingRefusal.check(facts) == .notAdmitted)
        facts.isVotingOpen = false
        #expect(VotingRefusal.check(facts) == .notVoting)
    }

    @Test func receiptsAreStableSecretAndEasyToType() {
        let receipts = BallotReceipts(secretKey: Array("a secret key of the server 0123456789".utf8))
        let code = receipts.code(cycleID: 1, personID: 42)
        #expect(code.count == 19 && code.split(separator: "-").count == 4)
        #expect(receipts.code(cycleID: 1, personID: 42) == code)
        #expect(receipts.code(cycleID: 1, personID: 43) != code)
        #expect(receipts.code(cycleID: 2, personID: 42) != code)
        #expect(BallotReceipts(secretKey: Array("another key".utf8)).code(cycleID: 1, personID: 42) != code)
        // Lower case, spaces and the look-alike letters O, I, L all find the same ballot.
        let typed = code.lowercased().replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "0", with: "o").replacingOccurrences(of: "1", with: "l")
        #expect(BallotReceipts.hash(ofCode: typed) == BallotReceipts.hash(ofCode: code))
        #expect(BallotReceipts.hash(ofCode: code).count == 64)

        let a = PublishedBallot(receiptHash: String(repeating: "a", count: 64), projectIDs: [3, 1])
        let b = PublishedBallot(receiptHash: String(repeating: "b", count: 64), projectIDs: [2])
        #expect(BallotReceipts.digest(of: [a, b]) == BallotReceipts.digest(of: [b, PublishedBallot(receiptHash: a.receiptHash, projectIDs: [1, 3])]))
        #expect(BallotReceipts.digest(of: [a, b]) != BallotReceipts.digest(of: [a]))
        #expect(BallotReceipts.digest(of: [a, b]) != BallotReceipts.digest(of: [a, PublishedBallot(receiptHash: b.receiptHash, projectIDs: [3])]))
    }
}
