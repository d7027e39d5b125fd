import Foundation
import Postgres

/// Dates and times as people in Ukraine read them.
public enum KyivTime {
    /// The zone's name, for Foundation and for PostgreSQL's `AT TIME ZONE`.
    public static let identifier = "Europe/Kyiv"

    public static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: identifier) ?? TimeZone(secondsFromGMT: 7200)!
        return calendar
    }()

    public static func day(of date: Date) -> CalendarDay {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// The instant a day begins in Kyiv.
    public static func start(of day: CalendarDay) -> Date {
        calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day)) ?? Date(timeIntervalSince1970: 0)
    }

    /// `2026-11-27 14:05`.
    public static func minute(of date: Date) -> String {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return day(of: date).isoString + String(format: " %02d:%02d", parts.hour!, parts.minute!)
    }
}

extension AppServices {
    /// Today in Ukraine: deadlines, ages and "verified since" are all counted in Kyiv's days.
    public var todayInKyiv: CalendarDay { KyivTime.day(of: Date()) }
}
