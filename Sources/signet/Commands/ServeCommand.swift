import ArgumentParser
import Foundation
import Logging
import SignetCore
import SignetRuntime
import SignetServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP server (API, CA certificates, CRLs, OCSP, TSA, metrics). Stops gracefully on SIGTERM/SIGINT.")

    @OptionGroup var options: HomeOptions

    @Option(help: "Address to listen on, host:port (default: listen in config.yaml, 127.0.0.1:8080). Port 0 picks a free port.")
    var listen: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain for a TLS listener.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for the TLS listener.")
    var tlsKey: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @OptionGroup(title: "Limits (each overrides the same key under server: in config.yaml)")
    var limits: ServeLimitOptions

    func run() async throws {
        try await runReporting {
            let given = try listen.map(ListenAddress.init(parsing:))
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw SignetError.malformed("Unknown log level \(SignetError.quote(logLevel)); use trace, debug, info, notice, warning, error or critical")
            }
            let home = try SignetHome.open(options.directory)
            let address = try given ?? ListenAddress(parsing: home.config.listen)
            let (host, port) = (address.host, address.port)
            let (checkpointInterval, _) = try home.config.auditSettings()
            let limits = try self.limits.resolve(home.config.server ?? .init())
            ServeLimitOptions.raiseFileLimit(for: limits.maxConnections)
            let runtime = try await SignetRuntime.open(home, signingCapacity: limits.signingQueue)
            try await runtime.ca.reconcilePendingKeys(by: SignetRuntime.localOperator())
            let identity = try runtime.makeWorkloadAuthenticator()
            // Issuers' keys are fetched before the first token needs them; an issuer down now is tried again on use.
            if let identity { await identity.verifier.keys.prefetch(Array(identity.verifier.issuers.values)) }
            let services = SignetServices(ca: runtime.ca, repository: runtime.store, revocation: try runtime.makeRevocation(),
                                          timestamping: try runtime.makeTimestampAuthority(), trail: runtime.auditTrail,
                                          signingRateLimiter: ClientRateLimiter(policy: limits.signingRate), identity: identity)
            // CRLs exist before the first request can ask for them.
            try await services.revocation.publishAll()
            // A fresh checkpoint before the server counts as running (the lock below), so verify never
            // sees a running server with a checkpoint as old as the home's last use. A failure (the token
            // and the database disagree) is reported but does not stop CRLs and OCSP from being served:
            // while the server runs, the checkpoint then ages and `signet audit verify` fails.
            do {
                try await services.trail.checkpoint(by: Principal(name: "signet-audit", role: .admin, team: nil), refresh: true)
            } catch {
                FileHandle.standardError.write(Data("signet: audit checkpoint failed: \(describe(error))\n".utf8))
            }
            let presence = try ServerPresence.hold(home)
            defer { withExtendedLifetime(presence) {} }
            let scheme = tlsCert == nil ? "http" : "https"
            let app = try SignetApplication.build(
                services: services,
                settings: .init(host: host, port: port, tlsCertificate: tlsCert, tlsKey: tlsKey, logLevel: level,
                                auditCheckpointInterval: .seconds(checkpointInterval.seconds), limits: limits,
                                reload: { [directory = options.directory, ca = runtime.ca, running = home.config] in
                                    try ConfigurationReload.reload(home: directory, into: ca, identity: identity, running: running)
                                }),
                onServerRunning: { bound in
                    FileHandle.standardOutput.write(Data("Signet listening on \(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(bound)\n".utf8))
                })
            defer { LogWriter.standardError.flush() }
            try await app.runService()
        }
    }
}
