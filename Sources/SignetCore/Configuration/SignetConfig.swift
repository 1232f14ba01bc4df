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

    public init(baseURL: String, listen: String, profilesDir: String, hsm: HSM, crl: CRL, ocsp: OCSP?, audit: Audit? = nil) {
        (self.baseURL, self.listen, self.profilesDir, self.hsm, self.crl, self.ocsp, self.audit) = (baseURL, listen, profilesDir, hsm, crl, ocsp, audit)
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

        enum CodingKeys: String, CodingKey {
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

        enum CodingKeys: String, CodingKey {
            case directory = "dir"
            case nextUpdate = "next_update"
        }
    }

    public struct OCSP: Codable, Sendable, Equatable {
        /// nextUpdate - thisUpdate of OCSP responses.
        public var validity: String

        public init(validity: String) { self.validity = validity }
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

        enum CodingKeys: String, CodingKey {
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

    enum CodingKeys: String, CodingKey {
        case baseURL = "base_url"
        case listen
        case profilesDir = "profiles_dir"
        case hsm
        case crl
        case ocsp
        case audit
    }

    /// Parses and checks config.yaml: a file that does not parse, or holds a value Signet would fail
    /// on later (a listen address, a duration, a session count), is refused here with file and reason.
    public static func parse(_ yaml: String, file: String) throws -> SignetConfig {
        let config: SignetConfig
        do {
            config = try YAMLDecoder().decode(SignetConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw SignetError.configuration("\(file): \(Self.describe(error))")
        } catch {
            throw SignetError.configuration("\(file): \(error)")
        }
        do {
            try config.validate()
        } catch let error as SignetError {
            throw SignetError.configuration("\(file): \(error.reason)")
        }
        return config
    }

    /// Checks the values that are more than text; the error names the key.
    public func validate() throws {
        func check(_ key: String, _ body: () throws -> Void) throws {
            do { try body() } catch let error as SignetError { throw SignetError.configuration("\(key): \(error.reason)") }
        }
        _ = try AuthorityURLs(baseURL: baseURL)  // its error names base_url
        try check("listen") { _ = try ListenAddress(parsing: listen) }
        try check("crl.next_update") { _ = try ValidityDuration(parsing: crl.nextUpdate) }
        if let ocsp { try check("ocsp.validity") { _ = try ValidityDuration(parsing: ocsp.validity) } }
        _ = try auditSettings()
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
