import CPKCS11
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The PKCS#11 module: what each C function does, with the caller's pointers, answered with a return
/// value and never a trap. ``FunctionList`` hands C callers one shared instance; tests make their own.
///
/// Concurrency (PKCS#11 §5.4, and Java calls from several threads): one lock guards all state and is
/// never held across a call to Signet, so a slow network blocks only the caller waiting for it. Fork
/// (PKCS#11 §6.7.7): the child must call C_Initialize before anything else; until it does, every call
/// answers CKR_CRYPTOKI_NOT_INITIALIZED (the state records the pid that initialised it). Fork handlers
/// take the lock around fork(), so the child never inherits it held by a thread that does not exist
/// there, and the parent's sessions and connections are simply forgotten in the child.
public final class Cryptoki: @unchecked Sendable {
    /// The instance behind the exported C_GetFunctionList.
    public static let shared: Cryptoki = {
        let cryptoki = Cryptoki()
        cryptoki.installForkHandlers()
        return cryptoki
    }()

    /// The one slot, whose token is the credential's view of Signet.
    public static let slotID: CK_SLOT_ID = 0

    let mutex = PthreadMutex()
    /// Guarded by `mutex`.
    var live: LiveState?
    /// Guarded by `mutex`.
    var initialisations: UInt64 = 0
    /// Guarded by `mutex`.
    var curlReady = false
    let environment: @Sendable () -> [String: String]
    let readFile: @Sendable (String) throws -> [UInt8]

    /// `environment` is read at every C_Initialize (default: the process's SIGNET_* variables).
    public init(environment: @escaping @Sendable () -> [String: String] = ProcessEnvironment.signetVariables,
                readFile: @escaping @Sendable (String) throws -> [UInt8] = FileReader.contents(of:)) {
        self.environment = environment
        self.readFile = readFile
    }

    func installForkHandlers() {
        pthread_atfork({ Cryptoki.shared.mutex.lock() }, { Cryptoki.shared.mutex.unlock() }, { Cryptoki.shared.mutex.unlock() })
    }

    // MARK: Calling conventions

    /// Runs `body` at the C boundary: CKR_OK, or the return value it threw.
    func answer(_ body: () throws(CryptokiError) -> Void) -> CK_RV {
        do {
            try body()
            return CK_RV(CKR_OK)
        } catch {
            return error.rv
        }
    }

    /// Runs `body` on the state under the lock, if this process initialised the module.
    func withLive<T>(_ body: (inout LiveState) throws(CryptokiError) -> T) throws(CryptokiError) -> T {
        mutex.lock()
        defer { mutex.unlock() }
        guard live != nil, live!.pid == getpid() else { throw .notInitialized }
        return try body(&live!)
    }

    func ensureInitialized() throws(CryptokiError) {
        try withLive { _ throws(CryptokiError) in }
    }

    /// A caller's length as an Int, refused when it cannot be one.
    static func length(_ value: CK_ULONG) throws(CryptokiError) -> Int {
        guard let length = Int(exactly: value) else { throw .argumentsBad }
        return length
    }

    // MARK: General-purpose functions (PKCS#11 §5.4)

    public func initialize(_ arguments: UnsafeMutableRawPointer?) -> CK_RV {
        if let arguments {
            let args = arguments.assumingMemoryBound(to: CK_C_INITIALIZE_ARGS.self).pointee
            guard args.pReserved == nil else { return CK_RV(CKR_ARGUMENTS_BAD) }
            let supplied = [args.CreateMutex != nil, args.DestroyMutex != nil, args.LockMutex != nil, args.UnlockMutex != nil]
            guard supplied.allSatisfy({ $0 }) || supplied.allSatisfy({ !$0 }) else { return CK_RV(CKR_ARGUMENTS_BAD) }
            // libcurl's resolver may start a thread; a caller that forbids threads cannot have Signet.
            if args.flags & CK_FLAGS(CKF_LIBRARY_CANT_CREATE_OS_THREADS) != 0 { return CK_RV(CKR_NEED_TO_CREATE_THREADS) }
            // The module locks with the OS's primitives; it cannot use only the application's.
            if supplied[0] && args.flags & CK_FLAGS(CKF_OS_LOCKING_OK) == 0 { return CK_RV(CKR_CANT_LOCK) }
        }
        let already = mutex.withLock { live.map { $0.pid == getpid() } ?? false }
        if already { return CK_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED) }
        let configuration: ModuleConfiguration
        do {
            configuration = try ModuleConfiguration.load(environment: environment(), readFile: readFile)
        } catch {
            Diagnostics.emit(error.message)
            return CK_RV(CKR_GENERAL_ERROR)
        }
        let diagnostics = Diagnostics(enabled: configuration.debug)
        let api = SignetAPI(configuration: configuration, readFile: readFile)
        return mutex.withLock {
            if let live, live.pid == getpid() { return CK_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED) }
            if !curlReady {
                CurlTransport.globalInit()
                curlReady = true
            }
            initialisations += 1
            // After a fork the parent's state is dropped without clean-up: its connections belong to the parent.
            live = LiveState(pid: getpid(), generation: initialisations, api: api, diagnostics: diagnostics)
            diagnostics.debug("initialised for \(configuration.baseURL) with \(configuration.bearer)\(configuration.release.map { ", release \($0)" } ?? "")")
            return CK_RV(CKR_OK)
        }
    }

    public func finalize(_ reserved: UnsafeMutableRawPointer?) -> CK_RV {
        guard reserved == nil else { return CK_RV(CKR_ARGUMENTS_BAD) }
        return mutex.withLock {
            guard let state = live, state.pid == getpid() else { return CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED) }
            live = nil
            return CK_RV(CKR_OK)
        }
    }

    public func getInfo(_ info: UnsafeMutablePointer<CK_INFO>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            guard let info else { throw .argumentsBad }
            var value = CK_INFO()
            value.cryptokiVersion = CK_VERSION(major: 2, minor: 40)
            BlankPadded.write("Signet", into: &value.manufacturerID)
            value.flags = 0
            BlankPadded.write("Signet release keys", into: &value.libraryDescription)
            value.libraryVersion = Self.version
            info.pointee = value
        }
    }

    /// The module's own version (C_GetInfo, token firmware).
    public static let version = CK_VERSION(major: 1, minor: 0)
}
