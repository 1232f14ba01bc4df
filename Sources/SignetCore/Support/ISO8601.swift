import Foundation
import SignetWire

/// RFC 3339 timestamps in UTC with whole seconds (`2026-11-29T02:26:26Z`), computed with integer
/// arithmetic (SignetWire's ``UTCComponents``, the same the CRL encoder uses): listings print four per
/// certificate, ISO8601DateFormatter costs microseconds each, and glibc's `gmtime_r` takes the
/// process-wide time-zone lock on every call.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        append(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 20 bytes of `date` in RFC 3339 form to `out` (years 0000–9999; dates outside are clamped).
    public static func append(_ date: Date, to out: inout [UInt8]) {
        let range = UTCComponents.representable
        let clamped = Date(timeIntervalSince1970: min(max(date.timeIntervalSince1970, Double(range.lowerBound)), Double(range.upperBound)))
        guard let parts = try? UTCComponents(wholeSecondsOf: clamped) else {
            out.append(contentsOf: "0000-01-01T00:00:00Z".utf8)  // not a number: no date to print
            return
        }
        func two(_ value: Int) {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
        }
        two(parts.year / 100); two(parts.year % 100); out.append(UInt8(ascii: "-"))
        two(parts.month); out.append(UInt8(ascii: "-"))
        two(parts.day); out.append(UInt8(ascii: "T"))
        two(parts.hour); out.append(UInt8(ascii: ":"))
        two(parts.minute); out.append(UInt8(ascii: ":"))
        two(parts.second); out.append(UInt8(ascii: "Z"))
    }
}
