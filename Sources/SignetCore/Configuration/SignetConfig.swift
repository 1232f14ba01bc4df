import Foundation
import Yams

/// `$SIGNET_HOME/config.yaml`. Written by `signet init`, edited by operators. Paths are relative to
/// the home unless absolute. The PIN is never stored here: it comes from `SIGNET_HSM_PIN` or from
/// `hsm.pin_file` (mode 0600).
public struct SignetConfig: Codable, Sendable, Equatable {
    /// What goes into AIA and CDP extensions; the server's public address.
    public var baseURL: String
    /// Default listen address for `signet serve`.
    public var listen: String
    /// Where the profile YAML files live.
    public var profilesDir: String
    public var hsm: HSM
    public var crl: CRL
    public var ocsp: OCSP?
    /// Audit checkpointing; absent in homes made before it existed (the defaults apply).
    public var audit: Audit? = nil
    /// How `signet serve` protects itself; every key optional (defaults: ``ServerLimits``).
    public var server: Server? = nil
    /// Trusted OIDC issuers for CI workload identity (`identity.oidc`); absent: only Signet's own tokens.
    public var identity: Identity? = nil
    /// Where the records live: absent for the embedded SQLite file (`signet.db` in the home), or a
    /// PostgreSQL URL (``PostgresStoreURL``, never with a password) that several nodes share.
    /// `SIGNET_STORE_URL` overrides it.
    public var store: String? = nil
    /// A file holding the PostgreSQL password (mode 0600), used when `SIGNET_STORE_PASSWORD` is not set.
    public var storePasswordFile: String? = nil

    public init(baseURL: String, listen: String, profilesDir: String, hsm: HSM, crl: CRL, ocsp: OCSP?, audit: Audit? = nil, server: Server? = nil) {
        (self.baseURL, self.listen, self.profilesDir, self.hsm, self.crl, self.ocsp, self.audit) = (baseURL, listen, profilesDir, hsm, crl, ocsp, audit)
        self.server = server
    }

    public struct HSM: Codable, Sendable, Equatable {
        /// Path of the PKCS#11 module (`.so`).
        public var module: String
        public var tokenLabel: String
        /// File holding the user PIN (mode 0600), used when SIGNET_HSM_PIN is not set.
        public var pinFile: String?
        /// For the embedded SoftHSM2 default: the SoftHSM2 configuration exported as SOFTHSM2_CONF.
        public var softhsm2Conf: String?
        /// Create the token at `init` when it does not exist (SoftHSM2 only; real HSMs are set up by their own tools).
        public var createToken: Bool
        /// Sessions in the pool; one or two per core.
        public var sessions: Int

        public init(module: String, tokenLabel: String, pinFile: String?, softhsm2Conf: String?, createToken: Bool, sessions: Int) {
            (self.module, self.tokenLabel, self.pinFile, self.softhsm2Conf, self.createToken, self.sessions) =
                (module, tokenLabel, pinFile, softhsm2Conf, createToken, sessions)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case module
            case tokenLabel = "token_label"
            case pinFile = "pin_file"
            case softhsm2Conf = "softhsm2_conf"
            case createToken = "create_token"
            case sessions
        }
    }

    public struct CRL: Codable, Sendable, Equatable {
        /// Directory CRL files are published to.
        public var directory: String
        /// nextUpdate - thisUpdate; at most 7 days.
        public var nextUpdate: String

        public init(directory: String, nextUpdate: String) {
            (self.directory, self.nextUpdate) = (directory, nextUpdate)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case directory = "dir"
            case nextUpdate = "next_update"
        }
    }

    public struct OCSP: Codable, Sendable, Equatable {
        /// nextUpdate - thisUpdate of OCSP responses.
        public var validity: String
        /// The most the cache of pre-signed responses may hold, in MiB (default 64, 1-65536).
        public var cacheMiB: Int?

        public init(validity: String, cacheMiB: Int? = nil) {
            self.validity = validity
            self.cacheMiB = cacheMiB
        }

        /// ``cacheMiB`` checked, in bytes.
        public func cacheBytes() throws -> Int {
            let mib = cacheMiB ?? OCSPResponder.defaultCacheBytes >> 20
            guard (1...65_536).contains(mib) else { throw SignetError.configuration("ocsp.cache_mib: expected 1 to 65536 (MiB), got \(mib)") }
            return mib << 20
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case validity
            case cacheMiB = "cache_mib"
        }
    }

    /// `server:` in config.yaml. `signet serve`'s flags of the same names (`--header-timeout` for
    /// `header_timeout`) override it key by key (``overriding(with:)``).
    public struct Server: Codable, Sendable, Equatable {
        /// A request's header block must arrive within this (e.g. `10s`).
        public var headerTimeout: String?
        /// A request's body must arrive within this of its header block.
        public var bodyTimeout: String?
        /// A keep-alive connection with nothing in progress is closed after this.
        public var idleTimeout: String?
        /// Connections open at once.
        public var maxConnections: Int?
        /// Signatures per second each client address may ask of the public endpoints (0: no limit).
        public var signingRate: Double?
        /// How many of those a client may ask at once.
        public var signingBurst: Int?
        /// Signatures that may wait for an HSM session before requests get 503 hsm_busy.
        public var signingQueue: Int?
        /// One successful OCSP/TSA/CRL/CA answer in this many is logged (1: all, 0: none).
        public var logSample: Int?

        public init(headerTimeout: String? = nil, bodyTimeout: String? = nil, idleTimeout: String? = nil, maxConnections: Int? = nil,
                    signingRate: Double? = nil, signingBurst: Int? = nil, signingQueue: Int? = nil, logSample: Int? = nil) {
            (self.headerTimeout, self.bodyTimeout, self.idleTimeout) = (headerTimeout, bodyTimeout, idleTimeout)
            (self.maxConnections, self.signingRate, self.signingBurst, self.signingQueue, self.logSample) =
                (maxConnections, signingRate, signingBurst, signingQueue, logSample)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case headerTimeout = "header_timeout"
            case bodyTimeout = "body_timeout"
            case idleTimeout = "idle_timeout"
            case maxConnections = "max_connections"
            case signingRate = "signing_rate"
            case signingBurst = "signing_burst"
            case signingQueue = "signing_queue"
            case logSample = "log_sample"
        }

        /// These settings with every key `flags` sets replaced by the flag's value.
        public func overriding(with flags: Server) -> Server {
            Server(headerTimeout: flags.headerTimeout ?? headerTimeout, bodyTimeout: flags.bodyTimeout ?? bodyTimeout,
                   idleTimeout: flags.idleTimeout ?? idleTimeout, maxConnections: flags.maxConnections ?? maxConnections,
                   signingRate: flags.signingRate ?? signingRate, signingBurst: flags.signingBurst ?? signingBurst,
                   signingQueue: flags.signingQueue ?? signingQueue, logSample: flags.logSample ?? logSample)
        }

        /// The limits the server runs with: each key checked (the error names it, as the config key
        /// and as the flag), absent keys at their defaults.
        public func limits() throws -> ServerLimits {
            let defaults = ServerLimits()
            func name(_ key: String) -> String { "server.\(key) (--\(key.replacingOccurrences(of: "_", with: "-")))" }
            func duration(_ text: String?, _ key: String, _ fallback: Duration) throws -> Duration {
                guard let text else { return fallback }
                guard let parsed = try? ValidityDuration(parsing: text), parsed.seconds <= 86_400 else {
                    throw SignetError.configuration("\(name(key)): expected a duration from 1s to 1d such as 10s or 2m, got \(SignetError.quote(text))")
                }
                return .seconds(parsed.seconds)
            }
            func number<T: Comparable & CustomStringConvertible>(_ value: T?, _ key: String, _ fallback: T, _ range: ClosedRange<T>) throws -> T {
                let value = value ?? fallback
                guard range.contains(value) else {
                    throw SignetError.configuration("\(name(key)): expected \(range.lowerBound) to \(range.upperBound), got \(value)")
                }
                return value
            }
            let rate = try number(signingRate, "signing_rate", defaults.signingRate.perSecond, 0...1_000_000)
            let burst = try number(signingBurst, "signing_burst", defaults.signingRate.burst, 1...1_000_000)
            return ServerLimits(
                headerTimeout: try duration(headerTimeout, "header_timeout", defaults.headerTimeout),
                bodyTimeout: try duration(bodyTimeout, "body_timeout", defaults.bodyTimeout),
                idleTimeout: try duration(idleTimeout, "idle_timeout", defaults.idleTimeout),
                maxConnections: try number(maxConnections, "max_connections", defaults.maxConnections, 1...1_000_000),
                logSample: try number(logSample, "log_sample", defaults.logSample, 0...1_000_000_000),
                signingRate: ClientRateLimiter.Policy(perSecond: rate, burst: burst),
                signingQueue: try number(signingQueue, "signing_queue", defaults.signingQueue, 0...1_000_000))
        }
    }

    public struct Audit: Codable, Sendable, Equatable {
        /// How often `signet serve` signs a checkpoint (over the newest entry, even when nothing new was logged).
        public var checkpointInterval: String?
        /// How old the newest checkpoint may be while `signet serve` runs before `signet audit verify` fails.
        public var maxCheckpointAge: String?

        public static let defaultCheckpointInterval = "1m"
        public static let defaultMaxCheckpointAge = "5m"

        public init(checkpointInterval: String? = nil, maxCheckpointAge: String? = nil) {
            self.checkpointInterval = checkpointInterval
            self.maxCheckpointAge = maxCheckpointAge
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case checkpointInterval = "checkpoint_interval"
            case maxCheckpointAge = "max_checkpoint_age"
        }
    }

    /// The audit settings, parsed and checked: the bound must leave room for at least one missed interval.
    public func auditSettings() throws -> (checkpointInterval: ValidityDuration, maxCheckpointAge: ValidityDuration) {
        func parse(_ text: String?, _ fallback: String, _ key: String) throws -> ValidityDuration {
            do {
                return try ValidityDuration(parsing: text ?? fallback)
            } catch {
                throw SignetError.configuration("audit.\(key) in config.yaml: expected a duration such as \(fallback), got '\(text ?? "")'")
            }
        }
        let interval = try parse(audit?.checkpointInterval, Audit.defaultCheckpointInterval, "checkpoint_interval")
        let maxAge = try parse(audit?.maxCheckpointAge, Audit.defaultMaxCheckpointAge, "max_checkpoint_age")
        guard maxAge.seconds > interval.seconds else {
            throw SignetError.configuration("audit.max_checkpoint_age (\(maxAge)) must be longer than audit.checkpoint_interval (\(interval)) in config.yaml")
        }
        return (interval, maxAge)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case baseURL = "base_url"
        case listen
        case profilesDir = "profiles_dir"
        case hsm
        case crl
        case ocsp
        case audit
        case server
        case identity
        case store
        case storePasswordFile = "store_password_file"
    }

    /// Parses and checks config.yaml like a profile: a file that does not parse, holds a key Signet
    /// does not know (a typo such as `next_updat` would otherwise be ignored and its default used), a
    /// value of the wrong type, or a value Signet would fail on later (a listen address, a duration, a
    /// session count) is refused here, with the file, the line and the key.
    public static func parse(_ yaml: String, file: String) throws -> SignetConfig {
        let tree: Node?
        do {
            tree = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw SignetError.configuration("\(file): \(ProfileParser.describe(error))")
        } catch {
            throw SignetError.configuration("\(file): \(error)")
        }
        guard let tree else { throw SignetError.configuration("\(file): the file is empty; run `signet init` to write one") }
        try checkKeys(tree, path: [], file: file)
        let config: SignetConfig
        do {
            config = try YAMLDecoder().decode(SignetConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw SignetError.configuration("\(file)\(lineSuffix(of: codingPath(error).map(\.stringValue), in: tree)): \(Self.describe(error))")
        } catch {
            throw SignetError.configuration("\(file): \(error)")
        }
        do {
            try config.validate()
        } catch let error as SignetError {
            // The reason starts with the key it is about ("crl.next_update: …"): point at its line.
            let key = error.reason.prefix { $0 != ":" && $0 != " " }
            throw SignetError.configuration("\(file)\(lineSuffix(of: key.split(separator: ".").map(String.init), in: tree)): \(error.reason)")
        }
        return config
    }

    /// The keys each mapping of config.yaml may hold, by its path (`""` for the top level). Mappings
    /// not listed here are checked by the code that reads them.
    static let schema: [String: Set<String>] = [
        "": Set(CodingKeys.allCases.map(\.rawValue)),
        "hsm": Set(HSM.CodingKeys.allCases.map(\.rawValue)),
        "crl": Set(CRL.CodingKeys.allCases.map(\.rawValue)),
        "ocsp": Set(OCSP.CodingKeys.allCases.map(\.rawValue)),
        "audit": Set(Audit.CodingKeys.allCases.map(\.rawValue)),
        "server": Set(Server.CodingKeys.allCases.map(\.rawValue)),
        "identity": Set(Identity.CodingKeys.allCases.map(\.rawValue)),
    ]

    static func checkKeys(_ node: Node, path: [String], file: String) throws {
        guard let mapping = node.mapping else {
            if path.isEmpty { throw SignetError.configuration("\(file):\(node.mark?.line ?? 1): expected a mapping of settings such as base_url: and hsm:") }
            return
        }
        let name = path.joined(separator: ".")
        guard let allowed = schema[name] else { return }
        var seen = Set<String>()
        for (key, value) in mapping {
            let line = key.mark?.line ?? 0
            guard let text = key.string, allowed.contains(text) else {
                throw SignetError.configuration("\(file):\(line): unknown key '\(key.string ?? "?")'\(name.isEmpty ? "" : " in \(name)"); allowed: \(allowed.sorted().joined(separator: ", "))")
            }
            guard seen.insert(text).inserted else { throw SignetError.configuration("\(file):\(line): duplicate key '\(text)'") }
            try checkKeys(value, path: path + [text], file: file)
        }
    }

    /// `:N` for the line of the value at `path`, or nothing when the path is not in the file.
    static func lineSuffix(of path: [String], in tree: Node) -> String {
        var node: Node? = tree
        var line: Int?
        for key in path {
            guard let mapping = node?.mapping, let (found, value) = mapping.first(where: { $0.key.string == key }) else { break }
            line = found.mark?.line
            node = value
        }
        return line.map { ":\($0)" } ?? ""
    }

    static func codingPath(_ error: DecodingError) -> [any CodingKey] {
        switch error {
        case .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): return context.codingPath
        @unknown default: return []
        }
    }

    /// Checks the values that are more than text; the error names the key.
    public func validate() throws {
        func check(_ key: String, _ body: () throws -> Void) throws {
            do { try body() } catch let error as SignetError { throw SignetError.configuration("\(key): \(error.reason)") }
        }
        _ = try AuthorityURLs(baseURL: baseURL)  // its error names base_url
        try check("listen") { _ = try ListenAddress(parsing: listen) }
        try check("crl.next_update") { _ = try ValidityDuration(parsing: crl.nextUpdate) }
        if let ocsp {
            try check("ocsp.validity") { _ = try ValidityDuration(parsing: ocsp.validity) }
            _ = try ocsp.cacheBytes()
        }
        _ = try auditSettings()
        _ = try (server ?? Server()).limits()
        _ = try identity?.issuerSettings()
        if let store {
            // The URL's own errors start with `store:`, so they point at its line.
            _ = try PostgresStoreURL(parsing: store)
        }
        if let storePasswordFile, storePasswordFile.isEmpty {
            throw SignetError.configuration("store_password_file: expected the name of a file holding the PostgreSQL password")
        }
        guard (1...256).contains(hsm.sessions) else {
            throw SignetError.configuration("hsm.sessions: expected 1 to 256 sessions, got \(hsm.sessions)")
        }
        guard !hsm.module.isEmpty, !hsm.tokenLabel.isEmpty, hsm.tokenLabel.utf8.count <= 32 else {
            throw SignetError.configuration("hsm: expected a module path and a token label of 1-32 octets (PKCS#11 CK_TOKEN_INFO.label)")
        }
    }

    public func yaml() throws -> String {
        "# Signet configuration. Paths are relative to this directory unless absolute.\n" + (try YAMLEncoder().encode(self))
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "'\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
