import Foundation

/// Where Signet gets the time. Everything that stamps or schedules (validity windows, CRL and OCSP
/// update times, TSA genTime, rotation) asks a clock rather than `Date()`, so tests can run a year of
/// rotation schedule in seconds with a ``ManualClock``.
public protocol SignetClock: Sendable {
    func now() -> Date
}

/// The system's wall clock.
public struct SystemClock: SignetClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to; for tests and simulations.
public final class ManualClock: SignetClock, @unchecked Sendable {
    private let current: Locked<Date>

    public init(_ start: Date) { current = Locked(start) }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }

    public func set(_ date: Date) { current.withLock { $0 = date } }
}
