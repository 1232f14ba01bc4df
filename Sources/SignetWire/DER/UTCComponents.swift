import Foundation

/// A UTC calendar date and time of day, converted to and from `Date` with integer arithmetic
/// (days-from-civil), not Foundation's `Calendar`: a CRL may hold a million dates, and API listings
/// print hundreds of timestamps per page.
public struct UTCComponents: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// GeneralizedTime can express years 0000 through 9999 (X.680 §46); nothing else can be written.
    public static let representable: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    /// The components of `date`, dropping any fraction of a second; throws outside years 0000–9999.
    public init(wholeSecondsOf date: Date) throws {
        try self.init(secondsSince1970: Self.wholeSeconds(of: date))
    }

    static func wholeSeconds(of date: Date) throws -> Int64 {
        let interval = date.timeIntervalSince1970.rounded(.down)
        guard interval.isFinite, interval >= Double(representable.lowerBound), interval <= Double(representable.upperBound) else {
            throw WireError.invariant("Expected a date in the years 0000 through 9999, got \(date)")
        }
        return Int64(interval)
    }

    init(secondsSince1970 seconds: Int64) throws {
        guard Self.representable.contains(seconds) else {
            throw WireError.invariant("Expected a date in the years 0000 through 9999, got \(seconds) s after 1970")
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        // civil_from_days (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        self.month = Int(month)
        self.day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        self.hour = secondOfDay / 3_600
        self.minute = secondOfDay / 60 % 60
        self.second = secondOfDay % 60
    }

    var secondsSince1970: Int64 {
        // days_from_civil, the inverse of the above.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    }

    var date: Date { Date(timeIntervalSince1970: TimeInterval(secondsSince1970)) }
}
