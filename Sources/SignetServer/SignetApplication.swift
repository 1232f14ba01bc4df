import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
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

        public init(host: String = "127.0.0.1", port: Int = 8080, tlsCertificate: String? = nil, tlsKey: String? = nil, logLevel: Logger.Level = .info,
                    rotationInterval: Duration = .seconds(30), auditCheckpointInterval: Duration = .seconds(60)) {
            self.rotationInterval = rotationInterval
            self.auditCheckpointInterval = auditCheckpointInterval
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
    public static func buildRouter(services: SignetServices) -> (Router<SignetRequestContext>, [(method: String, path: String)]) {
        let router = Router(context: SignetRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        var table = RouteTable()
        PublicController(services: services, metrics: metrics).register(&table, router)
        RevocationController(services: services).register(&table, router)
        TimestampController(services: services).register(&table, router)
        let api = router.group("").add(middleware: AuthMiddleware(services: services))
        CertificateController(services: services).register(&table, api)
        TokenController(services: services).register(&table, api)
        ReleaseController(services: services).register(&table, api)
        AuditController(services: services).register(&table, api)
        return (router, table.entries.map { ($0.method, $0.path) })
    }

    /// A logger that writes JSON lines.
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
        let (router, _) = buildRouter(services: services)
        let logger = makeLogger(level: settings.logLevel)
        // Repeated OCSP questions and time-stamps are answered on the event loop; the rest goes to the router.
        let counters = ProtocolFastPath.Counters()
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [
            ProtocolFastPath(services: services, logger: logger, answered: counters),
        ])
        let server: HTTPServerBuilder
        if let certPath = settings.tlsCertificate, let keyPath = settings.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(certPath)
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } else if settings.tlsCertificate != nil || settings.tlsKey != nil {
            throw SignetError.malformed("TLS needs both --tls-cert and --tls-key")
        } else {
            server = .http1(configuration: http1)
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "signet"),
            services: [
                RevocationPublishingService(publisher: services.revocation, interval: .milliseconds(250)),
                RotationService(services: services, interval: settings.rotationInterval, logger: logger),
                AuditCheckpointService(services: services, interval: settings.auditCheckpointInterval, logger: logger),
            ] + extraServices,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }
}
