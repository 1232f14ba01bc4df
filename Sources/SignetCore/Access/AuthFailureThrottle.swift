import Foundation
import Synchronization

/// Caps how fast one client may fail authentication.
///
/// Every failed attempt is an audit entry, and an audit entry is a durable write: without a cap,
/// anyone who can reach the port could make the server fsync, and the audit trail grow, as fast as
/// they can send requests, and guess at tokens at that rate. This is a token bucket per client
/// address: `burst` failures at once, refilled at `perSecond`. Past that the client is told when to
/// come back (HTTP 429 with Retry-After) and its failures are no longer audited one by one: one
/// `auth.throttle` entry marks the start of each throttled spell. The throttle only counts failures,
/// so a valid token from the same address keeps working. Pure bookkeeping, no I/O; time comes in.
public final class AuthFailureThrottle: Sendable {
    /// How many failures a client may have in a row, and how fast that allowance comes back.
    public struct Policy: Sendable, Equatable {
        public var burst: Int
        public var perSecond: Double
        /// At most this many addresses are remembered; the least recently seen go first.
        public var trackedClients: Int

        public init(burst: Int, perSecond: Double, trackedClients: Int = 10_000) {
            self.burst = max(1, burst)
            self.perSecond = max(0.001, perSecond)
            self.trackedClients = max(1, trackedClients)
        }

        /// Twenty failures, then one a second: a person mistyping or a misconfigured job is heard in
        /// the audit trail; a guessing loop is slowed to a crawl and costs one audit entry per spell.
        public static let standard = Policy(burst: 20, perSecond: 1)
    }

    /// What to do with one failed attempt.
    public enum Verdict: Sendable, Equatable {
        /// Within the allowance: refuse with 401 and audit the failure.
        case audit
        /// Over the allowance: refuse with 429; audit only if this failure starts a throttled spell.
        case throttled(retryAfterSeconds: Int, startsSpell: Bool)
    }

    private struct Bucket {
        var tokens: TokenBucket
        /// The last failure was over the allowance (a throttled spell is under way).
        var throttled: Bool
    }

    public let policy: Policy
    /// Bounded whatever the number of addresses, at O(1) per failure: a client forgotten to make room
    /// starts again with a full allowance (``BoundedCache``).
    private let buckets: Mutex<BoundedCache<String, Bucket>>

    public init(policy: Policy = .standard) {
        self.policy = policy
        self.buckets = Mutex(BoundedCache(budget: policy.trackedClients))
    }

    /// Counts one failed authentication from `client` (an address) at `now`.
    public func recordFailure(from client: String, at now: Date) -> Verdict {
        buckets.withLock { buckets in
            var bucket = buckets.value(for: client) ?? Bucket(tokens: TokenBucket(burst: policy.burst, at: now), throttled: false)
            let verdict: Verdict
            if let wait = bucket.tokens.take(burst: policy.burst, perSecond: policy.perSecond, at: now) {
                verdict = .throttled(retryAfterSeconds: wait, startsSpell: !bucket.throttled)
                bucket.throttled = true
            } else {
                bucket.throttled = false
                verdict = .audit
            }
            buckets.set(bucket, for: client, cost: 1)
            return verdict
        }
    }

    /// How many addresses are remembered (for tests and metrics).
    public var trackedClients: Int { buckets.withLock { $0.count } }
}
