import Hromada
import Postgres
import Testing

@Suite struct DeadlineTests {
    func day(_ text: String) -> CalendarDay { CalendarDay(iso: text)! }
    let plain = WorkingCalendar(holidays: [])

    @Test func workingDaysSkipWeekends() {
        // Friday 27 November 2026 + 10 working days = Friday 11 December.
        #expect(plain.dueDate(registeredOn: day("2026-11-27"), rule: .workingDays(10)) == day("2026-12-11"))
        // Registered on a Saturday: counting starts on Monday.
        #expect(plain.dueDate(registeredOn: day("2026-11-28"), rule: .workingDays(1)) == day("2026-11-30"))
        #expect(plain.dueDate(registeredOn: day("2026-11-27"), rule: .workingDays(0)) == day("2026-11-27"))
    }

    @Test func workingDaysSkipHolidaysAcrossTheYearEnd() {
        let calendar = WorkingCalendar(holidays: [day("2026-12-25"), day("2027-01-01")])
        // Thu 24 Dec: Fri 25 (holiday), Mon 28, Tue 29, Wed 30, Thu 31, Fri 1 Jan (holiday), Mon 4 Jan.
        #expect(calendar.dueDate(registeredOn: day("2026-12-24"), rule: .workingDays(5)) == day("2027-01-04"))
    }

    @Test func calendarDaysEndingOnADayOffMoveToTheNextWorkingDay() {
        // 15 days after Wed 2026-11-18 is Thu 2026-12-03, a working day.
        #expect(plain.dueDate(registeredOn: day("2026-11-18"), rule: .calendarDays(15)) == day("2026-12-03"))
        // 15 days after Fri 2026-11-20 is Sat 2026-12-05: moves to Mon 2026-12-07.
        #expect(plain.dueDate(registeredOn: day("2026-11-20"), rule: .calendarDays(15)) == day("2026-12-07"))
        let calendar = WorkingCalendar(holidays: [day("2026-12-07")])
        #expect(calendar.dueDate(registeredOn: day("2026-11-20"), rule: .calendarDays(15)) == day("2026-12-08"))
    }

    @Test func monthsKeepTheDayOrTakeTheMonthsLast() {
        #expect(plain.dueDate(registeredOn: day("2026-11-27"), rule: .months(1)) == day("2026-12-28"), "27 Dec 2026 is a Sunday")
        #expect(day("2026-01-31").adding(months: 1) == day("2026-02-28"))
        #expect(day("2028-01-31").adding(months: 1) == day("2028-02-29"))
        #expect(day("2026-12-15").adding(months: 1) == day("2027-01-15"))
        #expect(day("2026-03-31").adding(months: -1) == day("2026-02-28"))
        #expect(plain.dueDate(registeredOn: day("2026-12-31"), rule: .months(1)) == day("2027-02-01"), "31 Jan 2027 is a Sunday")
    }

    @Test func defaultTermsFollowTheLaw() {
        #expect(DocumentKind.petition.defaultDeadline == .workingDays(10))
        #expect(DocumentKind.problemReport.defaultDeadline == .calendarDays(15))
        #expect(DocumentKind.appeal.defaultDeadline == .months(1))
        #expect(DocumentKind.appeal.maximumTermDays == 45)
        #expect(DocumentKind.petition.maximumTermDays == nil)
        #expect(!DocumentKind.appeal.isPublic)
        #expect(DocumentKind.petition.isPublic)
    }

    @Test func referencesArePaddedPerJournal() {
        #expect(WorkflowStore.reference(journal: "ЗВ", year: 2026, number: 123) == "ЗВ-2026/000123")
    }
}

@Suite struct LifecycleTests {
    let head = StaffRelation(isHead: true)
    let official = StaffRelation(isInDepartment: true)
    let assignee = StaffRelation(isInDepartment: true, isAssignee: true)
    let admin = StaffRelation(isAdministrator: true)
    let outsider = StaffRelation()

    @Test func theMainPathLeadsToClosed() {
        var status = DocumentStatus.registered
        for action in [DocumentAction.assign, .take, .answer, .close] {
            status = DocumentLifecycle.status(after: action, from: status)!
        }
        #expect(status == .closed)
    }

    @Test func actionsOutOfOrderAreRefused() {
        #expect(DocumentLifecycle.status(after: .answer, from: .registered) == nil)
        #expect(DocumentLifecycle.status(after: .close, from: .inProgress) == nil)
        #expect(DocumentLifecycle.status(after: .take, from: .answered) == nil)
        #expect(DocumentLifecycle.status(after: .extend, from: .closed) == nil)
        #expect(DocumentLifecycle.status(after: .transfer, from: .answered) == nil)
        #expect(DocumentLifecycle.status(after: .giveBack, from: .returned) == nil)
        #expect(DocumentLifecycle.status(after: .transfer, from: .inProgress) == .registered)
        #expect(DocumentLifecycle.status(after: .giveBack, from: .inProgress) == .returned)
    }

    @Test func whoMayDoWhat() {
        #expect(DocumentLifecycle.permits(.assign, head, status: .registered))
        #expect(!DocumentLifecycle.permits(.assign, official, status: .registered))
        #expect(DocumentLifecycle.permits(.take, official, status: .registered))
        #expect(!DocumentLifecycle.permits(.take, official, status: .assigned), "assigned to someone else")
        #expect(DocumentLifecycle.permits(.take, assignee, status: .assigned))
        #expect(!DocumentLifecycle.permits(.answer, official, status: .inProgress))
        #expect(DocumentLifecycle.permits(.answer, assignee, status: .inProgress))
        #expect(DocumentLifecycle.permits(.answer, head, status: .inProgress))
        #expect(DocumentLifecycle.permits(.close, admin, status: .answered))
        #expect(!DocumentLifecycle.permits(.giveBack, head, status: .inProgress))
        for action in DocumentAction.allCases {
            #expect(!DocumentLifecycle.permits(action, outsider, status: .registered), "\(action)")
        }
        #expect(DocumentLifecycle.availableActions(official, status: .registered) == [.take, .comment])
        #expect(DocumentLifecycle.availableActions(assignee, status: .inProgress) == [.comment, .extend, .giveBack, .answer])
    }

    @Test func appealChecks() {
        #expect(AppealRules.errors(subject: "Ліхтар", body: "Не світить уже тиждень.", address: "", topic: "street_lighting").isEmpty)
        let errors = AppealRules.errors(subject: "", body: "коротко", address: String(repeating: "a", count: 301), topic: "weather")
        #expect(Set(errors.keys) == ["subject", "body", "address", "topic"])
    }
}
