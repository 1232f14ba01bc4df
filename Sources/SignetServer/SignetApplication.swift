import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import SignetCore

/// Builds the Hummingbird application: public endpoints (CA certificates, health, metrics,
/// OpenAPI), the authenticated `/api/v1`, and the middleware around them (request ids, JSON
/// errors, metrics).
public enum SignetApplication {
    /// Where to listen and how.
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        /// PEM files for an optional TLS listener.
        public var tlsCertificate: String?
        public var tlsKey: String?
        public var logLevel: Logger.Level
        /// How often the rotation scheduler looks for due work.
        public var rotationInterval: Duration
        /// How often an audit checkpoint is signed (`audit.checkpoint_interval`), even when nothing new
        /// was logged, so the newest checkpoint's age shows that checkpointing is alive.
        public var auditCheckpointInterval: Duration
        /// Timeouts, connection cap, log sampling.
        public var limits: ServerLimits
        /// What SIGHUP reloads (see ``ReloadOnHangup``); nil: SIGHUP is not handled.
        public var reload: (@Sendable () async throws -> String)?

        public init(host: String = "127.0.0.1", port: Int = 8080, tlsCertificate: String? = nil, tlsKey: String? = nil, logLevel: Logger.Level = .info,
                    rotationInterval: Duration = .seconds(30), auditCheckpointInterval: Duration = .seconds(60), limits: ServerLimits = ServerLimits(),
                    reload: (@Sendable () async throws -> String)? = nil) {
            self.reload = reload
            self.rotationInterval = rotationInterval
            self.auditCheckpointInterval = auditCheckpointInterval
            self.limits = limits
            self.host = host
            self.port = port
            self.tlsCertificate = tlsCertificate
            self.tlsKey = tlsKey
            self.logLevel = logLevel
        }
    }

    /// The process-wide Prometheus registry; swift-metrics can be bootstrapped only once per process.
    public static let metrics: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The router with every route, and the list of routes it registered (for the OpenAPI check).
    /// `logSample`: see ``ServerLimits/logSample``.
    public static func buildRouter(services: SignetServices, logSample: Int = 1) -> (Router<SignetRequestContext>, [(method: String, path: String)]) {
        let (router, routes, _) = buildRouter(services: services, sampler: ProtocolLogSampler(interval: logSample), protocolMetrics: ProtocolMetrics())
        return (router, routes)
    }

    /// The `Server` header of every response, from the router or the fast path.
    static let serverName = "signet"

    /// The router, built with the log sampler and protocol counters that ``ProtocolFastPath`` shares.
    static func buildRouter(services: SignetServices, sampler: ProtocolLogSampler, protocolMetrics: ProtocolMetrics)
        -> (Router<SignetRequestContext>, [(method: String, path: String)], ProtocolMetrics) {
        let router = Router(context: SignetRequestContext.self)
        router.add(middleware: ErrorMiddleware(sampler: sampler))
        router.add(middleware: MetricsMiddleware())
        var table = RouteTable()
        PublicController(services: services, metrics: metrics).register(&table, router)
        RevocationController(services: services, metrics: protocolMetrics).register(&table, router)
        TimestampController(services: services, metrics: protocolMetrics).register(&table, router)
        IdentityController(services: services).register(&table, router)
        let api = router.group("").add(middleware: AuthMiddleware(services: services))
        CertificateController(services: services).register(&table, api)
        ProfileController(services: services).register(&table, api)
        TokenController(services: services).register(&table, api)
        ReleaseController(services: services).register(&table, api)
        AuditController(services: services).register(&table, api)
        return (router, table.entries.map { ($0.method, $0.path) }, protocolMetrics)
    }

    /// A logger that writes JSON lines to stderr through the buffered ``LogWriter/standardError``.
    public static func makeLogger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "signet") { JSONLogHandler(label: $0) }
        logger.logLevel = level
        return logger
    }

    /// The application; run it with `runService()` (graceful shutdown on SIGTERM/SIGINT).
    public static func build(
        services: SignetServices, settings: Settings, extraServices: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        _ = metrics
        let limits = settings.limits
        let sampler = ProtocolLogSampler(interval: limits.logSample)
        let (router, _, protocolMetrics) = buildRouter(services: services, sampler: sampler, protocolMetrics: ProtocolMetrics())
        let logger = makeLogger(level: settings.logLevel)
        // Per connection, in pipeline order after HTTP decoding: the connection cap, the timeouts, then
        // the fast path (repeated OCSP questions and time-stamps answered off the router); the rest
        // goes to the router.
        let connections = ConnectionLimiter.Count(maximum: limits.maxConnections)
        let timeouts = ConnectionTimeouts.Limits(
            header: TimeAmount(limits.headerTimeout), body: TimeAmount(limits.bodyTimeout), idle: TimeAmount(limits.idleTimeout))
        let timeoutCounters = ConnectionTimeouts.Counters()
        let fastPath = ProtocolFastPath.Shared(
            services: services, logger: logger, sampler: sampler, metrics: protocolMetrics)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [
            ConnectionLimiter(count: connections),
            ConnectionTimeouts(limits: timeouts, counters: timeoutCounters),
            ProtocolFastPath(shared: fastPath),
        ])
        let server: HTTPServerBuilder
        if let certPath = settings.tlsCertificate, let keyPath = settings.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(certPath)
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tlsConfiguration(chain: chain, key: key))
        } else if settings.tlsCertificate != nil || settings.tlsKey != nil {
            throw SignetError.malformed("TLS needs both --tls-cert and --tls-key")
        } else {
            server = .http1(configuration: http1)
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: serverName),
            services: [
                RevocationPublishingService(publisher: services.revocation, interval: .milliseconds(250), logger: logger),
                RotationService(services: services, interval: settings.rotationInterval, logger: logger),
                AuditCheckpointService(services: services, interval: settings.auditCheckpointInterval, logger: logger),
            ] + (settings.reload.map { [ReloadOnHangup(reload: $0, logger: logger)] as [any Service] } ?? [])
              + (services.identity.map { [JWKSRefreshService(identity: $0, interval: .seconds(60), logger: logger)] as [any Service] } ?? []) + extraServices,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }

    /// TLS 1.2 and 1.3 only. TLS 1.2 with forward-secret AEAD suites only (ECDHE with AES-GCM or
    /// ChaCha20-Poly1305, Mozilla's "intermediate" list): no CBC, RC4, 3DES, static RSA or SHA-1 MACs.
    /// TLS 1.3's suites are all AEAD and BoringSSL fixes them.
    static func tlsConfiguration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuiteValues = [
            .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]
        return tls
    }
}
