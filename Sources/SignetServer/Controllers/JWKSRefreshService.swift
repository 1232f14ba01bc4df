import Hummingbird
import Logging
import ServiceLifecycle
import SignetCore

/// Keeps the trusted OIDC issuers' key sets fresh inside the server: once a minute, every set older
/// than its issuer's `refresh` interval is fetched again (``JWKSCache/refreshStale(_:)``). Tokens
/// naming a new `kid` do not wait for it (the cache fetches on an unknown `kid` by itself); this is
/// what retires keys an issuer stopped publishing. A failed fetch keeps the cached keys and is logged.
struct JWKSRefreshService: Service {
    let identity: WorkloadAuthenticator
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let issuers = Array(identity.verifier.issuers.values)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            for (issuer, failure) in await identity.verifier.keys.refreshStale(issuers) {
                logger.warning("OIDC key set refresh failed; the cached keys stay in use", metadata: ["issuer": "\(issuer)", "error": "\(failure)"])
            }
        }
    }
}
