import Foundation

/// `timestamptz`: an instant. The driver sets every session's time zone to UTC and the date
/// style to ISO, so values are read and written as `2026-11-27 10:16:09.123456+00`.
extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }
    public static var postgresArrayType: PostgresType { .timestamptzArray }

    public var postgresText: String? {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int(floor(micros / 1_000_000))
        let fraction = Int(micros) - seconds * 1_000_000
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let day = CalendarDay(daysSinceEpoch: days)
        let time = String(format: "%02d:%02d:%02d.%06d", secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60, fraction)
        return "\(day.isoString) \(time)+00"
    }

    public init(postgresText text: String, type: PostgresType) throws {
        switch text {
        case "infinity": self = .distantFuture; return
        case "-infinity": self = .distantPast; return
        default: break
        }
        guard let seconds = PostgresTimestampParser.secondsSinceEpoch(text) else {
            throw PostgresValueError("not a timestamp: \(text.prefix(40))")
        }
        self.init(timeIntervalSince1970: seconds)
    }
}

/// A calendar date without a time of day (`date`), such as a birth date or a holiday.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; `nil` for anything else or for a date that does not exist.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ positions: Range<Int>) -> Int? {
            var value = 0
            for position in positions {
                let digit = bytes[position] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        let candidate = CalendarDay(year: year, month: month, day: day)
        // Round-tripping through the day count rejects 2026-02-30 and month 13.
        guard (1...12).contains(month), CalendarDay(daysSinceEpoch: candidate.daysSinceEpoch) == candidate else { return nil }
        self = candidate
    }

    /// Days since 1970-01-01 (negative before), by the proleptic Gregorian calendar.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// The UTC calendar day of an instant.
    public init(_ date: Date) {
        self.init(daysSinceEpoch: Int(floor(date.timeIntervalSince1970 / 86_400)))
    }

    public func adding(days: Int) -> CalendarDay { CalendarDay(daysSinceEpoch: daysSinceEpoch + days) }

    /// 1 for Monday … 7 for Sunday (ISO 8601).
    public var isoWeekday: Int { (daysSinceEpoch + 3).floorDivided(by: 7).remainder + 1 }

    /// Whole years from this day (a birth date) to `day`.
    public func years(until day: CalendarDay) -> Int {
        var years = day.year - year
        if (day.month, day.day) < (month, self.day) { years -= 1 }
        return years
    }

    public var isoString: String { String(format: "%04d-%02d-%02d", year, month, day) }
    public var description: String { isoString }

    /// Encoded as `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(isoString)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = CalendarDay(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        self = day
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

extension CalendarDay: PostgresCodable {
    public static var postgresType: PostgresType { .date }
    public static var postgresArrayType: PostgresType { .dateArray }
    public var postgresText: String? { isoString }
    public init(postgresText text: String, type: PostgresType) throws {
        guard let day = CalendarDay(iso: text) else { throw PostgresValueError("not a date: \(text.prefix(40))") }
        self = day
    }
}

extension Int {
    /// Division rounding toward negative infinity, with a remainder that is never negative.
    func floorDivided(by divisor: Int) -> (quotient: Int, remainder: Int) {
        var quotient = self / divisor
        if self % divisor != 0 && (self < 0) != (divisor < 0) { quotient -= 1 }
        return (quotient, self - quotient * divisor)
    }
}

/// Reads PostgreSQL's ISO timestamp output: `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]]`.
enum PostgresTimestampParser {
    static func secondsSinceEpoch(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + width] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        var seconds = Double(CalendarDay(year: year, month: month, day: day).daysSinceEpoch * 86_400)
        guard index < bytes.count else { return seconds }
        guard expect(" ") || expect("T"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second)
        if expect(".") {
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                seconds += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        if index < bytes.count {
            let sign: Double
            if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
            guard let offsetHours = number(2) else { return nil }
            var offset = offsetHours * 3600
            if expect(":"), let offsetMinutes = number(2) { offset += offsetMinutes * 60 }
            if expect(":"), let offsetSeconds = number(2) { offset += offsetSeconds }
            seconds -= sign * Double(offset)
        }
        return index == bytes.count ? seconds : nil
    }
}
