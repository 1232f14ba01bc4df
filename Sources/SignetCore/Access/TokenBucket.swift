import Foundation

/// One client's allowance in a token bucket: `burst` requests at once, coming back at `perSecond`.
/// The arithmetic both per-client limits share (``ClientRateLimiter`` for signatures,
/// ``AuthFailureThrottle`` for failed logins); each keeps its buckets in its own bounded cache.
struct TokenBucket: Sendable {
    private var allowance: Double
    private var updated: Date

    /// A full bucket at `now`.
    init(burst: Int, at now: Date) {
        allowance = Double(burst)
        updated = now
    }

    /// Refills the bucket up to `now` and takes one request from it: nil when there was one to take,
    /// else the whole seconds (at least 1) until there will be.
    mutating func take(burst: Int, perSecond: Double, at now: Date) -> Int? {
        let elapsed = max(0, now.timeIntervalSince(updated))
        allowance = min(Double(burst), allowance + elapsed * perSecond)
        updated = now
        guard allowance < 1 else {
            allowance -= 1
            return nil
        }
        return max(1, Int(((1 - allowance) / perSecond).rounded(.up)))
    }
}
