import Foundation
import Synchronization

/// A token bucket per client address for the anonymous endpoints that cost an HSM signature: an
/// OCSP request that cannot be answered from the cache of pre-signed responses (a nonce, or a
/// question not asked before) and an RFC 3161 time-stamp.
///
/// Anyone who can reach the port can ask for those, and each one takes a turn of the HSM that
/// issuance and every other client share. Each client may make `burst` such requests at once,
/// refilled at `perSecond`; past that it is told to come back later (HTTP 429 with Retry-After)
/// before any work is done. Cached OCSP answers cost no signature and are never counted.
///
/// Memory is bounded whatever the number of addresses: at most `trackedClients` buckets are kept
/// (``BoundedCache``), the least recently seen dropped first, and a dropped client simply starts
/// again with a full bucket. IPv6 clients are counted per /64, the block one host usually holds, so
/// stepping through the addresses of one network does not buy a fresh allowance each time. Pure
/// bookkeeping, no I/O; time comes in.
public final class ClientRateLimiter: Sendable {
    /// The allowance per client.
    public struct Policy: Sendable, Equatable {
        /// Requests a client may make at once.
        public var burst: Int
        /// How fast the allowance comes back; 0 turns the limiter off.
        public var perSecond: Double
        /// At most this many clients are remembered.
        public var trackedClients: Int

        public init(perSecond: Double, burst: Int, trackedClients: Int = 65_536) {
            self.perSecond = max(0, perSecond)
            self.burst = max(1, burst)
            self.trackedClients = max(2, trackedClients)
        }

        /// 50 signatures a second with bursts of 100 per address: far above what one relying party or
        /// build machine asks for, far below what the HSM does, so no single address can take it over.
        public static let standard = Policy(perSecond: 50, burst: 100)

        /// No limit.
        public static let off = Policy(perSecond: 0, burst: 1)

        public var isOff: Bool { perSecond == 0 }
    }

    public let policy: Policy
    private let buckets: Mutex<BoundedCache<String, TokenBucket>>

    public init(policy: Policy = .standard) {
        self.policy = policy
        self.buckets = Mutex(BoundedCache(budget: policy.trackedClients))
    }

    /// Takes one request from `client`'s allowance at `now`: `nil` when admitted, else the whole
    /// seconds after which one request will be admitted again.
    public func admit(_ client: String, at now: Date) -> Int? {
        guard !policy.isOff else { return nil }
        let key = Self.clientKey(client)
        return buckets.withLock { buckets -> Int? in
            var bucket = buckets.value(for: key) ?? TokenBucket(burst: policy.burst, at: now)
            let verdict = bucket.take(burst: policy.burst, perSecond: policy.perSecond, at: now)
            buckets.set(bucket, for: key, cost: 1)
            return verdict
        }
    }

    /// ``admit(_:at:)`` as an error: ``SignetError/Code/rateLimited`` with the seconds to wait.
    public func check(_ client: String, at now: Date) throws {
        if let wait = admit(client, at: now) {
            throw SignetError(.rateLimited, "More than \(policy.burst) requests that need a signature from this address; try again in \(wait) s",
                              retryAfter: wait)
        }
    }

    /// How many clients are remembered (for tests and metrics); never more than `trackedClients`.
    public var trackedClients: Int { buckets.withLock { $0.count } }

    /// The bucket a client address counts against: IPv4 addresses as they are, IPv6 addresses by
    /// their first 64 bits (RFC 4291 §2.5.4: the interface identifier is the host's own choice),
    /// except IPv4-mapped ones (`::ffff:192.0.2.1`, how a dual-stack listener sees IPv4 clients).
    static func clientKey(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var storage = in6_addr()
        guard inet_pton(AF_INET6, address, &storage) == 1 else { return address }
        let bytes = withUnsafeBytes(of: &storage) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return address }
        return bytes.prefix(8).hexString + "/64"
    }
}
