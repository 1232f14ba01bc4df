import ArgumentParser
import Foundation
import SignetCore
#if canImport(Glibc)
import Glibc
#endif

/// `signet serve`'s limit flags, one per key of config.yaml's `server:` block.
struct ServeLimitOptions: ParsableArguments {
    @Option(name: .customLong("header-timeout"), help: "A request's header block must arrive within this, e.g. 10s (default 10s).")
    var headerTimeout: String?

    @Option(name: .customLong("body-timeout"), help: "A request's body must arrive within this of its headers (default 30s).")
    var bodyTimeout: String?

    @Option(name: .customLong("idle-timeout"), help: "Close a keep-alive connection idle this long (default 60s).")
    var idleTimeout: String?

    @Option(name: .customLong("max-connections"), help: "Connections open at once; more get 503 and are closed (default 1000).")
    var maxConnections: Int?

    @Option(name: .customLong("signing-rate"), help: "Time-stamps and uncached OCSP answers per second per client address; 0 for no limit (default 50).")
    var signingRate: Double?

    @Option(name: .customLong("signing-burst"), help: "How many of those a client may ask at once (default 100).")
    var signingBurst: Int?

    @Option(name: .customLong("signing-queue"), help: "Signatures that may wait for an HSM session before requests get 503 hsm_busy (default 256).")
    var signingQueue: Int?

    @Option(name: .customLong("log-sample"), help: "Log one successful OCSP/TSA/CRL/CA answer in N; 1 logs all, 0 none (default 100).")
    var logSample: Int?

    /// The limits the server runs with: each flag given overrides the same key of config.yaml's
    /// `server:` block, and ``SignetConfig/Server/limits()`` checks them all and fills in defaults.
    func resolve(_ config: SignetConfig.Server) throws -> ServerLimits {
        try config.overriding(with: SignetConfig.Server(
            headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, idleTimeout: idleTimeout, maxConnections: maxConnections,
            signingRate: signingRate, signingBurst: signingBurst, signingQueue: signingQueue, logSample: logSample)).limits()
    }

    /// Raises the soft limit on open files towards the hard one when it is too low for
    /// `connections` plus the store, the token and the CRL files, and says so if it cannot.
    static func raiseFileLimit(for connections: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(connections + 256)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < wanted {
            FileHandle.standardError.write(Data("signet: warning: the open-file limit (\(limit.rlim_cur)) is below --max-connections \(connections) plus 256; raise it (ulimit -n) or lower max_connections\n".utf8))
        }
    }
}
