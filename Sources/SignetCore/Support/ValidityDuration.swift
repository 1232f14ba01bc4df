/// A span of time written the way operators write it in profiles, flags and API bodies:
/// `90s`, `30m`, `24h`, `7d`, `2w`, `1y` (365 days), or a sum such as `1d12h`.
///
/// Parsed values are at most ``maximum``: callers add them to the current time and convert the
/// result to integers (SQLite milliseconds, X.509 times, HTTP dates), so every parsed duration must
/// keep `now ± duration` a date those formats can hold.
public struct ValidityDuration: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func hours(_ h: Int64) -> Self { .init(seconds: h * 3600) }
    public static func days(_ d: Int64) -> Self { .init(seconds: d * 86_400) }

    static let units: [(Unicode.Scalar, Int64)] = [("y", 31_536_000), ("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]

    /// The longest duration Signet parses: 100 years. Nothing Signet signs, keeps or lists spans more
    /// (a root CA's validity is at most decades), and `now ± 100y` stays far inside every date format.
    public static let maximum = ValidityDuration(seconds: 100 * 31_536_000)

    /// Parses `text`; the error says what a valid value looks like.
    public init(parsing text: String) throws {
        // Foundation's trimming is the slow part of this parser; most values have nothing to trim.
        let padded = text.unicodeScalars.first.map(CharacterSet.whitespaces.contains) == true
            || text.unicodeScalars.last.map(CharacterSet.whitespaces.contains) == true
        let trimmed = padded ? text.trimmingCharacters(in: .whitespaces) : text
        var total: Int64 = 0
        var number: Int64? = nil
        var sawUnit = false
        // Digits and units are all ASCII, so any other byte (a non-ASCII digit included) is an error.
        for byte in trimmed.utf8 {
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = m.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw Self.error(text) }
                number = sum
            } else if let unit = Self.units.first(where: { UInt8(ascii: $0.0) == byte }), let value = number {
                // Checked like the digits: `9223372036854775807s1s` once overflowed the sum and trapped.
                let (product, o1) = value.multipliedReportingOverflow(by: unit.1)
                let (sum, o2) = total.addingReportingOverflow(product)
                guard !o1, !o2 else { throw Self.error(text) }
                total = sum
                number = nil
                sawUnit = true
            } else {
                throw Self.error(text)
            }
        }
        guard sawUnit, number == nil, total > 0 else { throw Self.error(text) }
        guard total <= Self.maximum.seconds else { throw Self.error(text) }
        self.seconds = total
    }

    private static func error(_ text: String) -> SignetError {
        .malformed("Expected a duration such as 24h, 7d or 1d12h (units s m h d w y, at most 100y), got \(SignetError.quote(text))")
    }

    public var timeInterval: Double { Double(seconds) }

    /// Canonical form: the largest units first, e.g. `1d12h`.
    public var description: String {
        var rest = seconds
        var out = ""
        for (unit, size) in Self.units where unit != "w" && unit != "y" {
            if rest >= size {
                out += "\(rest / size)\(unit)"
                rest %= size
            }
        }
        return out.isEmpty ? "0s" : out
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.seconds < rhs.seconds }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

import Foundation
