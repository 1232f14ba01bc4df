import Foundation
import SignetWire

/// IMF-fixdate (RFC 9110 §5.6.7) for Last-Modified and Expires, formatted with `gmtime_r` and two
/// lookup tables: a DateFormatter per response costs more than the OCSP lookup it decorates.
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ date: Date) -> String {
        // Clamped to the years 0000-9999 before the conversion: time_t(Double) traps on nan and on
        // values past Int.max, and no date Signet serves is outside them.
        let range = UTCComponents.representable
        let interval = date.timeIntervalSince1970.rounded(.down)
        var seconds = time_t(interval.isNaN ? 0 : min(max(interval, Double(range.lowerBound)), Double(range.upperBound)))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
