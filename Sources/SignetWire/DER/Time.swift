import Foundation
import SwiftASN1

/// The `Time` CHOICE of RFC 5280, used for a CRL's thisUpdate/nextUpdate and each entry's
/// revocationDate, and (with the same rule, RFC 5652 §11.3) for the CMS signing-time attribute.
///
/// ```
/// Time ::= CHOICE {
///      utcTime        UTCTime,
///      generalTime    GeneralizedTime }
/// ```
/// RFC 5280 §4.1.2.5 and §5.1.2.4: dates through 2049 are written as UTCTime, dates in 2050 or
/// later as GeneralizedTime; both with whole seconds and "Z".
enum Time: DERParseable, DERSerializable, Hashable, Sendable {
    case utcTime(UTCTime)
    case generalTime(GeneralizedTime)

    /// The encoding RFC 5280 §4.1.2.5 asks for, truncated to whole seconds.
    init(_ date: Date) throws {
        let components = try UTCComponents(wholeSecondsOf: date)
        if (1950..<2050).contains(components.year) {
            self = .utcTime(try UTCTime(
                year: components.year, month: components.month, day: components.day,
                hours: components.hour, minutes: components.minute, seconds: components.second))
        } else {
            self = .generalTime(try GeneralizedTime(components, fractionDigits: []))
        }
    }

    init(derEncoded node: ASN1Node) throws {
        switch node.identifier {
        case UTCTime.defaultIdentifier: self = .utcTime(try UTCTime(derEncoded: node))
        case GeneralizedTime.defaultIdentifier: self = .generalTime(try GeneralizedTime(derEncoded: node))
        default: throw WireError.malformed("Expected UTCTime or GeneralizedTime, got \(node.identifier)")
        }
    }

    func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .utcTime(let time): try coder.serialize(time)
        case .generalTime(let time): try coder.serialize(time)
        }
    }

    var date: Date {
        switch self {
        case .utcTime(let time):
            UTCComponents(year: time.year, month: time.month, day: time.day,
                          hour: time.hours, minute: time.minutes, second: time.seconds).date
        case .generalTime(let time): Date(time)
        }
    }
}

extension GeneralizedTime {
    init(_ components: UTCComponents, fractionDigits: ArraySlice<UInt8>) throws {
        try self.init(
            year: components.year, month: components.month, day: components.day,
            hours: components.hour, minutes: components.minute, seconds: components.second,
            rawFractionalSeconds: fractionDigits)
    }

    /// `date` in whole seconds: OCSP's producedAt/thisUpdate (RFC 5019 §2.2.4 profiles them without
    /// fractions) and RFC 5280 §4.1.2.5.2 GeneralizedTime values.
    init(wholeSecondsOf date: Date) throws {
        try self.init(UTCComponents(wholeSecondsOf: date), fractionDigits: [])
    }

    /// `date` rounded to the nearest millisecond, with the fraction written as RFC 3161 §2.4.2
    /// requires of genTime: no trailing zeros, and no "." at all when the fraction is zero.
    /// (swift-asn1 would print a `Double` fraction, which may carry binary rounding noise.)
    init(millisecondsOf date: Date) throws {
        let (components, fraction) = try Self.millisecondParts(of: date)
        try self.init(components, fractionDigits: fraction[...])
    }

    /// `date` rounded to the nearest millisecond: its whole-second components and the fraction's
    /// decimal digits without trailing zeros (none for a whole second).
    static func millisecondParts(of date: Date) throws -> (UTCComponents, fractionDigits: [UInt8]) {
        let milliseconds = (date.timeIntervalSince1970 * 1_000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) < 1e15 else {
            throw WireError.invariant("Expected a date in the years 0000 through 9999, got \(date)")
        }
        let total = Int64(milliseconds)
        let seconds = total >= 0 ? total / 1_000 : (total - 999) / 1_000
        var fraction = Int(total - seconds * 1_000)
        var digits: [UInt8] = []
        if fraction != 0 {
            var width = 3
            while fraction % 10 == 0 { fraction /= 10; width -= 1 }
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            for _ in 0..<width {
                digits.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
                divisor /= 10
            }
        }
        return (try UTCComponents(secondsSince1970: seconds), digits)
    }
}

extension Date {
    /// The instant a GeneralizedTime names, fraction included. The fraction is computed from its
    /// decimal digits (up to microseconds) so that "…12.5Z" reads back as exactly the `Date` written.
    init(_ time: GeneralizedTime) {
        let whole = UTCComponents(year: time.year, month: time.month, day: time.day,
                                  hour: time.hours, minute: time.minutes, second: time.seconds).secondsSince1970
        var numerator: Int64 = 0
        var denominator: Int64 = 1
        for digit in time.rawFractionalSeconds.prefix(6) {
            numerator = numerator * 10 + Int64(digit &- UInt8(ascii: "0"))
            denominator *= 10
        }
        self = Date(timeIntervalSince1970: Double(whole * denominator + numerator) / Double(denominator))
    }
}
