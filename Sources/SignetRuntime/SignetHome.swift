import Foundation
import SignetCore
import SignetHSM
import SignetStore

/// A Signet home directory (`SIGNET_HOME`, default `./.signet`): `config.yaml`, the embedded
/// SoftHSM2 configuration and token directory, the PIN file and `signet.db`. This type knows the
/// layout and creates it; ``SignetRuntime`` opens what is in it.
public struct SignetHome: Sendable {
    public let directory: String
    public let config: SignetConfig

    public static let configFile = "config.yaml"
    public static let databaseFile = "signet.db"

    /// `--home`, else `SIGNET_HOME`, else `./.signet`, made absolute.
    public static func resolve(_ explicit: String?) -> String {
        let raw = explicit ?? ProcessInfo.processInfo.environment["SIGNET_HOME"] ?? ".signet"
        let absolute = raw.hasPrefix("/") ? raw : FileManager.default.currentDirectoryPath + "/" + raw
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// Opens an existing home; the error says how to create one.
    public static func open(_ directory: String) throws -> SignetHome {
        let configPath = directory + "/" + configFile
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw SignetError.notFound("No Signet home at \(directory) (no \(configFile)); run `signet init` or pass --home")
        }
        let text: String
        do { text = try String(contentsOfFile: configPath, encoding: .utf8) } catch {
            throw SignetError.configuration("Cannot read \(configPath): \(error.localizedDescription)")
        }
        return SignetHome(directory: directory, config: try SignetConfig.parse(text, file: configPath))
    }

    /// A path from the config, resolved against the home.
    public func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : directory + "/" + relative
    }

    public var databasePath: String { path(Self.databaseFile) }
    /// Held (shared flock) by every `signet serve` on this home while it runs; see ``ServerPresence``.
    public var serverLockPath: String { path("serve.lock") }
    /// Serialises audit checkpointing between processes; see ``AuditCheckpointFileLock``.
    public var checkpointLockPath: String { path("audit-checkpoint.lock") }
    public var profilesDirectory: String { path(config.profilesDir) }
    public var crlDirectory: String { path(config.crl.directory) }

    // MARK: Creating a home

    /// Options for `signet init`; anything nil takes the embedded default.
    public struct InitOptions: Sendable {
        public var profilesDir: String?
        public var baseURL: String?
        /// Where `signet serve` listens (host:port); the base URL follows it unless given.
        public var listen: String?
        public var module: String?
        public var tokenLabel: String?
        /// Use this SoftHSM2 configuration instead of creating one in the home (tests share one per process).
        public var softhsm2Conf: String?
        public var sessions: Int?
        /// Where CRLs are published (default: ./CRL when it exists, else <home>/crl).
        public var crlDirectory: String?
        public init(profilesDir: String? = nil, baseURL: String? = nil, module: String? = nil, tokenLabel: String? = nil, softhsm2Conf: String? = nil,
                    sessions: Int? = nil, crlDirectory: String? = nil, listen: String? = nil) {
            self.crlDirectory = crlDirectory
            self.listen = listen
            self.profilesDir = profilesDir
            self.baseURL = baseURL
            self.module = module
            self.tokenLabel = tokenLabel
            self.softhsm2Conf = softhsm2Conf
            self.sessions = sessions
        }
    }

    /// Where Debian and others install SoftHSM2's module.
    public static let softHSMModuleCandidates = [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
        "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    ]

    /// Creates the home's files if they are missing and returns the home plus whether anything was
    /// written. An existing config is never rewritten.
    public static func create(_ directory: String, options: InitOptions) throws -> (SignetHome, Bool) {
        let fm = FileManager.default
        let (listen, baseURL) = try addresses(options)
        if fm.fileExists(atPath: directory + "/" + configFile) {
            let home = try open(directory)
            // Asked for another address than the home has: its certificates already name the old one.
            if options.listen != nil || options.baseURL != nil, home.config.listen != listen || home.config.baseURL != baseURL {
                throw SignetError.conflict(
                    "The home at \(directory) already listens on \(home.config.listen) with base_url \(home.config.baseURL), not \(listen) and \(baseURL): "
                        + "its certificates name that URL. Use another home (SIGNET_HOME) or run without --listen/--base-url")
            }
            return (home, false)
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SignetError.configuration("Cannot create home \(directory): \(error.localizedDescription)")
        }
        let profiles: String
        if let given = options.profilesDir {
            profiles = given.hasPrefix("/") ? given : fm.currentDirectoryPath + "/" + given
            guard fm.fileExists(atPath: profiles) else {
                throw SignetError.configuration("Profiles directory \(profiles) does not exist; pass --profiles DIR with the profile YAML files")
            }
        } else if fm.fileExists(atPath: fm.currentDirectoryPath + "/Profiles") {
            profiles = fm.currentDirectoryPath + "/Profiles"
        } else {
            // No checkout here (a release binary run anywhere): the shipped profiles, built in, go into the home.
            profiles = "profiles"
            try fm.createDirectory(atPath: directory + "/profiles", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for (name, yaml) in ShippedProfiles.files {
                try AtomicFile.write(yaml, to: directory + "/profiles/" + name, mode: 0o644)
            }
        }
        let crlDirectory: String
        if let given = options.crlDirectory {
            crlDirectory = given.hasPrefix("/") ? given : fm.currentDirectoryPath + "/" + given
        } else if fm.fileExists(atPath: fm.currentDirectoryPath + "/CRL") {
            crlDirectory = fm.currentDirectoryPath + "/CRL"
        } else {
            crlDirectory = "crl"
        }
        var softhsmConf = options.softhsm2Conf
        let module = options.module ?? softHSMModuleCandidates.first(where: fm.fileExists) ?? softHSMModuleCandidates[0]
        let embedded = options.module == nil || module.contains("softhsm")
        if embedded && softhsmConf == nil {
            try fm.createDirectory(atPath: directory + "/tokens", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let conf = """
                # SoftHSM2 configuration for this Signet home only (exported as SOFTHSM2_CONF by signet).
                directories.tokendir = \(directory)/tokens
                objectstore.backend = file
                log.level = ERROR
                slots.removable = false

                """
            try AtomicFile.write(conf, to: directory + "/softhsm2.conf", mode: 0o600)
            softhsmConf = "softhsm2.conf"
        }
        let config = SignetConfig(
            baseURL: baseURL,
            listen: listen,
            profilesDir: profiles,
            hsm: .init(module: module, tokenLabel: options.tokenLabel ?? "signet", pinFile: "hsm.pin", softhsm2Conf: softhsmConf,
                       createToken: embedded, sessions: options.sessions ?? 4),
            crl: .init(directory: crlDirectory, nextUpdate: "24h"),
            ocsp: .init(validity: "1h"),
            audit: .init(checkpointInterval: SignetConfig.Audit.defaultCheckpointInterval, maxCheckpointAge: SignetConfig.Audit.defaultMaxCheckpointAge))
        // What `open` would refuse is refused before anything is written (a token label of more than 32 octets, a bad base URL).
        try config.validate()
        try AtomicFile.write(try config.yaml(), to: directory + "/" + configFile, mode: 0o600)
        return (SignetHome(directory: directory, config: config), true)
    }

    /// The listen address and base URL a new home gets: as given, else 127.0.0.1:8080, and a base URL
    /// that follows the listen address (a wildcard host is named as 127.0.0.1), so that `make run
    /// LISTEN=…` puts the port the server really uses into every certificate's AIA and CDP.
    static func addresses(_ options: InitOptions) throws -> (listen: String, baseURL: String) {
        let address = try ListenAddress(parsing: options.listen ?? "127.0.0.1:8080")
        if let baseURL = options.baseURL { return (address.description, baseURL) }
        let host = ["0.0.0.0", "::", ""].contains(address.host) ? "127.0.0.1" : address.host
        guard address.port != 0 else {
            throw SignetError.malformed("Expected a fixed port in --listen for a new home (its certificates name it), got \(address.description); or pass --base-url")
        }
        return (address.description, "http://\(host.contains(":") ? "[\(host)]" : host):\(address.port)")
    }

    // MARK: PIN

    /// The user PIN: `SIGNET_HSM_PIN`, else the PIN file, which must not be readable by others.
    public func userPIN() throws -> String {
        if let pin = ProcessInfo.processInfo.environment["SIGNET_HSM_PIN"], !pin.isEmpty { return pin }
        guard let file = config.hsm.pinFile.map(path) else {
            throw HSMError(.pinUnavailable, "No HSM PIN: set SIGNET_HSM_PIN or hsm.pin_file in \(directory)/\(Self.configFile)")
        }
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw HSMError(.pinUnavailable, "No HSM PIN: set SIGNET_HSM_PIN or create \(file) (mode 0600)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw HSMError(.pinUnavailable, "PIN file \(file) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(file)")
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw HSMError(.pinUnavailable, "Cannot read PIN file \(file)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a fresh random PIN file (init of the embedded token). Returns the PIN.
    func createPINFile(_ name: String) throws -> String {
        var rng = SystemRandomNumberGenerator()
        let pin = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &rng) }.hexString
        try AtomicFile.write(pin + "\n", to: path(name), mode: 0o600)
        return pin
    }
}
