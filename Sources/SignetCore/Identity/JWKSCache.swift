import Foundation

/// The issuers' key sets, kept between tokens. A set is fetched on first use, fetched again when a
/// token names a `kid` the cached set lacks (the issuer rolled its keys), and when it is older than
/// the issuer's refresh interval. Fetches are rate-limited per issuer: an unknown `kid` triggers at
/// most one fetch a minute (so forged tokens with random kids cannot turn Signet into a load generator
/// against the issuer), and while nothing is cached a failed fetch is retried at most every 10 s.
///
/// When the issuer cannot be reached, the cached set keeps working; only an issuer whose keys Signet
/// never had answers `oidc_keys_unavailable` (503). Concurrent requests that need a fetch share it.
public actor JWKSCache {
    struct Entry {
        var keys: JWKSKeySet
        var fetchedAt: Date
    }

    let fetcher: any JWKSFetching
    let clock: any SignetClock
    private var entries: [String: Entry] = [:]
    private var lastAttempt: [String: Date] = [:]
    private var inFlight: [String: Task<JWKSKeySet, any Error>] = [:]
    /// What happened on the last fetch per issuer, for the log.
    public private(set) var lastFailure: [String: String] = [:]

    /// An unknown `kid` fetches again at most this often.
    public static let unknownKeyRefetchInterval: TimeInterval = 60
    /// With nothing cached, a failed fetch is tried again at most this often.
    public static let emptyRetryInterval: TimeInterval = 10

    public init(fetcher: any JWKSFetching, clock: any SignetClock) {
        self.fetcher = fetcher
        self.clock = clock
    }

    /// The issuer's key for a token's `kid` (nil when the issuer publishes none with that id, even
    /// after a refresh this call was allowed to make). Throws `oidc_keys_unavailable` only when no key
    /// set of the issuer was ever had.
    public func key(for issuer: OIDCIssuerSettings, kid: String?) async throws -> JWKSKeySet.Key? {
        let now = clock.now()
        let name = issuer.issuer
        guard let entry = entries[name] else {
            if let last = lastAttempt[name], now.timeIntervalSince(last) < Self.emptyRetryInterval, inFlight[name] == nil {
                throw unavailable(issuer)
            }
            do {
                return try await fetch(issuer).key(kid: kid)
            } catch {
                throw unavailable(issuer)
            }
        }
        let sinceAttempt = lastAttempt[name].map { now.timeIntervalSince($0) } ?? .infinity
        let stale = now.timeIntervalSince(entry.fetchedAt) >= issuer.refreshInterval
        if let key = entry.keys.key(kid: kid) {
            if stale && sinceAttempt >= Self.unknownKeyRefetchInterval {
                // The refresh is the periodic one; the cached key answers whatever it brings, unless it is gone.
                if let fresh = try? await fetch(issuer) { return fresh.key(kid: kid) }
            }
            return key
        }
        guard sinceAttempt >= Self.unknownKeyRefetchInterval else { return nil }
        guard let fresh = try? await fetch(issuer) else { return nil }
        return fresh.key(kid: kid)
    }

    /// Fetches and parses the issuer's set now (sharing a fetch already running), and caches it. A set
    /// without a usable key is a failed fetch: the previous set stays.
    @discardableResult
    func fetch(_ issuer: OIDCIssuerSettings) async throws -> JWKSKeySet {
        let name = issuer.issuer
        if let running = inFlight[name] { return try await running.value }
        lastAttempt[name] = clock.now()
        let fetcher = self.fetcher
        let task = Task { () throws -> JWKSKeySet in
            let keys = try await JWKSKeySet(json: try await fetcher.fetchKeySet(for: issuer))
            guard !keys.keys.isEmpty else {
                throw SignetError.malformed("The key set of \(issuer.issuer) holds no usable key (\(keys.skipped.joined(separator: "; ")))")
            }
            return keys
        }
        inFlight[name] = task
        defer { inFlight[name] = nil }
        do {
            let keys = try await task.value
            entries[name] = Entry(keys: keys, fetchedAt: clock.now())
            lastFailure[name] = nil
            return keys
        } catch {
            lastFailure[name] = "\(error)"
            throw error
        }
    }

    /// Fetches every issuer's set (used at start-up, so the first token finds keys ready).
    public func prefetch(_ issuers: [OIDCIssuerSettings]) async {
        for issuer in issuers { _ = try? await fetch(issuer) }
    }

    /// The periodic refresh (the server calls it every minute): fetches again each issuer whose set is
    /// older than its refresh interval, or that has none yet (past the back-off), so keys an issuer
    /// retired stop being accepted even when no token names a new `kid`. A failure keeps the cached
    /// set; the failures are returned, by issuer, for the log.
    @discardableResult
    public func refreshStale(_ issuers: [OIDCIssuerSettings]) async -> [String: String] {
        var failures: [String: String] = [:]
        for issuer in issuers {
            let now = clock.now()
            let name = issuer.issuer
            let sinceAttempt = lastAttempt[name].map { now.timeIntervalSince($0) } ?? .infinity
            let due: Bool
            if let entry = entries[name] {
                due = now.timeIntervalSince(entry.fetchedAt) >= issuer.refreshInterval && sinceAttempt >= Self.unknownKeyRefetchInterval
            } else {
                due = sinceAttempt >= Self.emptyRetryInterval
            }
            guard due else { continue }
            do { try await fetch(issuer) } catch { failures[name] = "\(error)" }
        }
        return failures
    }

    func unavailable(_ issuer: OIDCIssuerSettings) -> SignetError {
        SignetError(.oidcKeysUnavailable, "The signing keys of \(issuer.issuer) could not be fetched and none are cached; nothing was issued or signed. Retry shortly")
    }
}
