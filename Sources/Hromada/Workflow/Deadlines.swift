import Postgres

/// How long an executive body has to answer, counted from the day of registration.
public enum DeadlineRule: Sendable, Equatable, Codable {
    /// Monday to Friday, skipping the community's holidays (e-petitions: 10).
    case workingDays(Int)
    /// Every day counts (problem reports: 15; appeals needing no extra study: 15).
    case calendarDays(Int)
    /// The same day of the month `n` months later, or the month's last day (appeals: 1 month).
    case months(Int)
}

/// The days off of one community: weekends and its holiday calendar.
public struct WorkingCalendar: Sendable {
    public var holidays: Set<CalendarDay>

    public init(holidays: some Sequence<CalendarDay>) {
        self.holidays = Set(holidays)
    }

    public func isWorkingDay(_ day: CalendarDay) -> Bool {
        day.isoWeekday <= 5 && !holidays.contains(day)
    }

    /// `day` itself if it is a working day, else the next one.
    public func workingDayOnOrAfter(_ day: CalendarDay) -> CalendarDay {
        var candidate = day
        while !isWorkingDay(candidate) { candidate = candidate.adding(days: 1) }
        return candidate
    }

    /// The last day to answer an item registered on `registered`.
    ///
    /// Counting starts the day after registration. A term in calendar days or months that ends on
    /// a day off moves to the next working day, as the Civil Code (art. 254) has it; a term in
    /// working days ends on a working day by construction.
    public func dueDate(registeredOn registered: CalendarDay, rule: DeadlineRule) -> CalendarDay {
        switch rule {
        case .workingDays(let count):
            var day = registered
            var counted = 0
            while counted < count {
                day = day.adding(days: 1)
                if isWorkingDay(day) { counted += 1 }
            }
            return day
        case .calendarDays(let count):
            return workingDayOnOrAfter(registered.adding(days: count))
        case .months(let count):
            return workingDayOnOrAfter(registered.adding(months: count))
        }
    }
}

extension CalendarDay {
    /// The same day `months` later; the 31st of a shorter month becomes its last day.
    public func adding(months: Int) -> CalendarDay {
        let monthIndex = year * 12 + (month - 1) + months
        let newYear = monthIndex / 12
        let newMonth = monthIndex % 12 + 1
        let firstOfMonth = CalendarDay(year: newYear, month: newMonth, day: 1)
        let firstOfNext = firstOfMonth.adding(days: 31).withDay(1)
        let daysInMonth = firstOfNext.daysSinceEpoch - firstOfMonth.daysSinceEpoch
        return CalendarDay(year: newYear, month: newMonth, day: min(day, daysInMonth))
    }

    func withDay(_ day: Int) -> CalendarDay { CalendarDay(year: year, month: month, day: day) }
}
