import Foundation

/// RFC 3339 timestamps in UTC with whole seconds (`2026-11-29T02:26:26Z`), computed with integer
/// arithmetic: listings print four per certificate, ISO8601DateFormatter costs microseconds each, and
/// glibc's `gmtime_r` takes the process-wide time-zone lock on every call.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        append(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 20 bytes of `date` in RFC 3339 form to `out` (years 0000–9999; dates outside are clamped).
    public static func append(_ date: Date, to out: inout [UInt8]) {
        // Clamp to 0000-01-01T00:00:00Z ... 9999-12-31T23:59:59Z so the four-digit year always holds.
        let seconds = Int64(max(-62_167_219_200, min(253_402_300_799, date.timeIntervalSince1970.rounded(.down))))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDaysSinceEpoch: days)
        func two(_ value: Int64) {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
        }
        two(year / 100); two(year % 100); out.append(UInt8(ascii: "-"))
        two(month); out.append(UInt8(ascii: "-"))
        two(day); out.append(UInt8(ascii: "T"))
        two(secondOfDay / 3600); out.append(UInt8(ascii: ":"))
        two(secondOfDay / 60 % 60); out.append(UInt8(ascii: ":"))
        two(secondOfDay % 60); out.append(UInt8(ascii: "Z"))
    }

    /// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`: eras of 400 years starting on March 1st).
    static func civil(fromDaysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
