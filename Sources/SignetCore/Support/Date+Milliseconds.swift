import Foundation
import SignetWire

extension Date {
    /// This date in whole milliseconds since 1970 (rounded to the nearest), clamped to the years
    /// 0000–9999 and 0 for nan: `Int64(Double)` traps on nan and past ±9.2e18, and a date computed
    /// from input (`since=300000000y` once was) must never take the process down on its way to the store.
    public var clampedMillisecondsSince1970: Int64 {
        let seconds = timeIntervalSince1970
        guard !seconds.isNaN else { return 0 }
        let range = UTCComponents.representable
        return Int64((min(max(seconds, Double(range.lowerBound)), Double(range.upperBound)) * 1000).rounded())
    }
}
