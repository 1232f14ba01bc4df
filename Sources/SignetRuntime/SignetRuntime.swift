import Foundation
import SignetCore
import SignetHSM
import SignetStore
import SignetWire

/// An opened home, wired: profiles loaded, store open, HSM logged in, authorities loaded and
/// checked. The CLI and the server are thin layers over this.
public final class SignetRuntime: Sendable {
    public let home: SignetHome
    public let profiles: ProfileSet
    /// The home's store: SQLite or PostgreSQL (``StoreLocation``).
    public let store: any SignetStorage
    /// Serialises audit checkpoints among every process sharing the store.
    public let checkpointLock: any AuditCheckpointLock
    public let keyManager: HSMKeyManager
    public let ca: CertificateAuthority
    public let clock: any SignetClock

    /// The local operator, as recorded in the audit trail for CLI actions: someone with shell access
    /// to the CA home is an admin.
    public static func localOperator() -> Principal {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "operator"
        return Principal(name: "cli:\(user)", role: .admin, team: nil)
    }

    init(home: SignetHome, profiles: ProfileSet, storage: (store: any SignetStorage, checkpointLock: any AuditCheckpointLock), keyManager: HSMKeyManager,
         clock: any SignetClock, signingCapacity: Int? = nil) throws {
        self.home = home
        self.profiles = profiles
        self.store = storage.store
        self.checkpointLock = storage.checkpointLock
        self.keyManager = keyManager
        self.clock = clock
        let crlValidity = try ValidityDuration(parsing: home.config.crl.nextUpdate)
        guard crlValidity <= CRLIssuer.maximumValidity else {
            throw SignetError.configuration("crl.next_update \(crlValidity) exceeds the 7-day maximum")
        }
        // One signing thread per HSM session, so the threads never wait for a session.
        let signing = SigningQueue.Settings(
            threads: home.config.hsm.sessions,
            capacity: try signingCapacity ?? (home.config.server ?? .init()).limits().signingQueue)
        self.ca = CertificateAuthority(profiles: profiles, custodian: keyManager, repository: store, clock: clock,
                                       urls: try AuthorityURLs(baseURL: home.config.baseURL), crlValidity: crlValidity,
                                       signing: SigningQueue(settings: signing))
    }

    /// Opens an existing home. Fails if it was never initialised, the HSM cannot be reached, or an
    /// authority's key does not match its certificate.
    /// Arms the failpoints named in `SIGNET_FAILPOINTS` (comma-separated); reaching one kills the process
    /// with SIGKILL, as a crash would, except `name=<n>ms`, which makes the point that long instead.
    /// Only tests set it.
    static func armFailpointsFromEnvironment() {
        guard let names = ProcessInfo.processInfo.environment["SIGNET_FAILPOINTS"], !names.isEmpty else { return }
        var crashes: Set<String> = []
        var delays: [String: Duration] = [:]
        for entry in names.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[1].hasSuffix("ms"), let millis = Int(parts[1].dropLast(2)), (0...600_000).contains(millis) {
                delays[String(parts[0])] = .milliseconds(millis)
            } else {
                crashes.insert(String(entry))
            }
        }
        Failpoints.arm(crashes) { _ in kill(getpid(), SIGKILL) }
        Failpoints.armDelays(delays)
    }

    /// `signingCapacity` overrides `server.signing_queue` (`signet serve --signing-queue`).
    public static func open(_ home: SignetHome, clock: any SignetClock = SystemClock(), signingCapacity: Int? = nil) async throws -> SignetRuntime {
        armFailpointsFromEnvironment()
        let profiles = try ProfileLoader.load(directory: home.profilesDirectory)
        let pool = try openPool(home)
        let runtime = try SignetRuntime(home: home, profiles: profiles, storage: try await openStorage(home),
                                        keyManager: HSMKeyManager(pool: pool), clock: clock, signingCapacity: signingCapacity)
        try await runtime.ca.loadAuthorities()
        return runtime
    }

    /// `signet init`: creates the home, the token and whatever part of the CA hierarchy is missing.
    /// Returns the runtime and a description of what was created (empty when nothing changed).
    public static func initialize(_ directory: String, options: SignetHome.InitOptions, clock: any SignetClock = SystemClock()) async throws -> (SignetRuntime, [String]) {
        armFailpointsFromEnvironment()
        let (home, createdHome) = try SignetHome.create(directory, options: options)
        var created: [String] = createdHome ? ["home \(directory)"] : []
        let profiles = try ProfileLoader.load(directory: home.profilesDirectory)
        let module = try loadModule(home)
        if try module.token(labelled: home.config.hsm.tokenLabel) == nil {
            guard home.config.hsm.createToken else {
                throw HSMError(.tokenNotFound, "No token labelled '\(home.config.hsm.tokenLabel)' on \(module.path); create it with the HSM vendor's tools")
            }
            let pin: String
            if let fromEnv = ProcessInfo.processInfo.environment["SIGNET_HSM_PIN"], !fromEnv.isEmpty {
                pin = fromEnv
            } else {
                pin = try home.createPINFile(home.config.hsm.pinFile ?? "hsm.pin")
            }
            let soPIN = try home.createPINFile("hsm.so-pin")
            _ = try module.initializeToken(label: home.config.hsm.tokenLabel, soPIN: soPIN, userPIN: pin)
            created.append("token '\(home.config.hsm.tokenLabel)'")
        }
        let pool = try HSMSessionPool(module: module, tokenLabel: home.config.hsm.tokenLabel, pin: try home.userPIN(), size: home.config.hsm.sessions)
        let runtime = try SignetRuntime(home: home, profiles: profiles, storage: try await openStorage(home, mustExist: false),
                                        keyManager: HSMKeyManager(pool: pool), clock: clock)
        let authorities = try await runtime.ca.bootstrap(by: localOperator())
        created += authorities.map { "authority \($0)" }
        // The audit key exists from the start, and the first checkpoint pins init's own entries (and
        // anchors them in the token; a second init catches up an anchor a crash left behind).
        let trail = runtime.auditTrail
        if try await runtime.store.keys().contains(where: { $0.purpose == .audit && $0.state == .active }) == false {
            _ = try await trail.auditKey(by: localOperator())
            created.append("audit key")
        }
        try await trail.checkpoint(by: localOperator())
        return (runtime, created)
    }

    static func loadModule(_ home: SignetHome) throws -> PKCS11Module {
        if let conf = home.config.hsm.softhsm2Conf.map(home.path) {
            let current = ProcessInfo.processInfo.environment["SOFTHSM2_CONF"]
            if current != conf {
                if PKCS11Module.isLoaded(path: home.config.hsm.module) {
                    throw SignetError.configuration("SoftHSM2 is already initialised in this process with \(current ?? "its default configuration"); cannot switch to \(conf)")
                }
                setenv("SOFTHSM2_CONF", conf, 1)
            }
        }
        return try PKCS11Module.load(path: home.config.hsm.module)
    }

    static func openPool(_ home: SignetHome) throws -> HSMSessionPool {
        try openPool(home, sessions: home.config.hsm.sessions)
    }

    /// A session pool on the home's token and nothing else (no store, no authorities): for
    /// measuring the token alone (`signet bench hsm`).
    public static func openPool(_ home: SignetHome, sessions: Int) throws -> HSMSessionPool {
        let module = try loadModule(home)
        return try HSMSessionPool(module: module, tokenLabel: home.config.hsm.tokenLabel, pin: try home.userPIN(), size: sessions)
    }

    /// The audit trail of this home: checkpoints in the store, anchored in the token, serialised with
    /// other processes on the home.
    public var auditTrail: AuditTrail {
        AuditTrail(ca: ca, checkpoints: store, anchors: keyManager, lock: checkpointLock)
    }

    /// A verifier for `signet audit verify`, with as much of the token as can be had: logged in when
    /// the PIN is available (`SIGNET_HSM_PIN` or the PIN file), else a session without login (public
    /// objects only, as an auditor without the PIN), else none, with the reason. It does not load
    /// profiles or authorities: verification needs only the store and the token.
    public static func openAuditVerifier(_ home: SignetHome, clock: any SignetClock = SystemClock()) async throws -> AuditVerifier {
        let (_, maxAge) = try home.config.auditSettings()
        let store = try await openStore(home, clock: clock).store
        let freshness = AuditVerifier.Freshness(maxAge: maxAge, serverRunning: ServerPresence.isServerRunning(home))
        let token: (any AuditAnchorReader)?
        var unavailable = ""
        do {
            let module = try loadModule(home)
            let pin: String?
            do {
                pin = try home.userPIN()
            } catch let error as HSMError where error.code == .pinUnavailable {
                pin = nil
            }
            if let pin {
                token = HSMKeyManager(pool: try HSMSessionPool(module: module, tokenLabel: home.config.hsm.tokenLabel, pin: pin, size: 1))
            } else {
                token = try HSMPublicReader(module: module, tokenLabel: home.config.hsm.tokenLabel)
            }
        } catch let error as HSMError where error.code != .pinIncorrect {
            token = nil
            unavailable = "the token could not be opened (\(error.reason))"
        }
        return AuditVerifier(repository: store, token: token, tokenUnavailable: unavailable, clock: clock, freshness: freshness)
    }

    /// The CRL publisher and OCSP responder for this home, configured from config.yaml.
    public func makeRevocation() throws -> RevocationPublisher {
        let crlValidity = try ValidityDuration(parsing: home.config.crl.nextUpdate)
        let ocspValidity = try ValidityDuration(parsing: home.config.ocsp?.validity ?? "1h")
        let cacheBytes = try home.config.ocsp?.cacheBytes() ?? OCSPResponder.defaultCacheBytes
        let responder = OCSPResponder(ca: ca, repository: store, settings: .init(validity: ocspValidity, cacheBytes: cacheBytes))
        return RevocationPublisher(
            ca: ca, issuer: try CRLIssuer(repository: store, clock: clock, validity: crlValidity), responder: responder,
            storer: try CRLDirectory(directory: home.crlDirectory))
    }

    /// The RFC 3161 TSA for this home.
    public func makeTimestampAuthority() throws -> TimestampAuthority {
        try TimestampAuthority(ca: ca, serials: TimestampSerialAllocator(repository: store, clock: clock), accuracy: try Accuracy(seconds: 1))
    }
}
