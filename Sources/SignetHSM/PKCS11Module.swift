import CPKCS11
import Foundation
import SignetCore

/// One PKCS#11 module (a vendor's `.so`), opened with `dlopen` at run time and initialised once per
/// process with OS locking, as PKCS#11 §5.4 requires for multi-threaded callers. Any module that
/// implements the standard works; SoftHSM2 is only the embedded default.
public final class PKCS11Module: @unchecked Sendable {
    /// Filesystem path the module was loaded from.
    public let path: String
    /// The module's function table; immutable after load, so sharing it across threads is safe.
    let functions: CK_FUNCTION_LIST
    private let handle: UnsafeMutableRawPointer

    private static let loaded = Locked<[String: PKCS11Module]>([:])

    /// Loads and initialises the module at `path`, or returns the instance already loaded in this
    /// process: C_Initialize may run only once per module per process.
    public static func load(path: String) throws -> PKCS11Module {
        try loaded.withLock { modules in
            if let module = modules[path] { return module }
            let module = try PKCS11Module(path: path)
            modules[path] = module
            return module
        }
    }

    /// Whether the module at `path` was already loaded (and initialised) in this process.
    public static func isLoaded(path: String) -> Bool {
        loaded.withLock { $0[path] != nil }
    }

    private init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HSMError(.moduleNotLoadable, "PKCS#11 module not found at \(path); install it (Debian: apt-get install softhsm2) or set hsm.module in config.yaml")
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw HSMError(.moduleNotLoadable, "Cannot load PKCS#11 module \(path): \(reason)")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw HSMError(.moduleNotLoadable, "\(path) is not a PKCS#11 module: it has no C_GetFunctionList")
        }
        typealias GetFunctionList = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV
        let getFunctionList = unsafeBitCast(symbol, to: GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        let rv = getFunctionList(&list)
        guard rv == CKR_OK, let list else {
            dlclose(handle)
            throw HSMError.call("C_GetFunctionList", rv, "loading \(path)")
        }
        self.path = path
        self.handle = handle
        self.functions = list.pointee

        var args = CK_C_INITIALIZE_ARGS()
        args.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let initRV = withUnsafeMutablePointer(to: &args) { functions.C_Initialize!(UnsafeMutableRawPointer($0)) }
        guard initRV == CKR_OK || initRV == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            throw HSMError.call("C_Initialize", initRV, "initialising \(path)")
        }
    }

    /// Throws a described error unless `rv` is CKR_OK.
    func check(_ rv: CK_RV, _ function: String, _ context: @autoclosure () -> String) throws {
        if rv != CKR_OK { throw HSMError.call(function, rv, context()) }
    }

    // MARK: Slots and tokens

    /// A slot with a token in it, as the module reports it.
    public struct TokenSlot: Sendable, Hashable {
        public let slotID: UInt
        public let label: String
        public let initialized: Bool
        public let userPINInitialized: Bool
        public let manufacturer: String
        public let model: String
        public let serialNumber: String
    }

    /// Every slot that has a token present.
    public func tokens() throws -> [TokenSlot] {
        var count: CK_ULONG = 0
        try check(functions.C_GetSlotList!(CK_BBOOL(CK_TRUE), nil, &count), "C_GetSlotList", "listing slots")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try check(functions.C_GetSlotList!(CK_BBOOL(CK_TRUE), &slots, &count), "C_GetSlotList", "listing slots")
        return try slots.prefix(Int(count)).map { slot in
            var info = CK_TOKEN_INFO()
            try check(functions.C_GetTokenInfo!(slot, &info), "C_GetTokenInfo", "reading token in slot \(slot)")
            return TokenSlot(
                slotID: UInt(slot),
                label: Self.paddedString(info.label),
                initialized: info.flags & CK_FLAGS(CKF_TOKEN_INITIALIZED) != 0,
                userPINInitialized: info.flags & CK_FLAGS(CKF_USER_PIN_INITIALIZED) != 0,
                manufacturer: Self.paddedString(info.manufacturerID),
                model: Self.paddedString(info.model),
                serialNumber: Self.paddedString(info.serialNumber)
            )
        }
    }

    /// The initialised token with this label, or nil.
    public func token(labelled label: String) throws -> TokenSlot? {
        try tokens().first { $0.initialized && $0.label == label }
    }

    /// Initialises a fresh token in the first slot that holds an uninitialised one, then sets its
    /// user PIN. Used by `signet init` for the embedded SoftHSM2 default; real HSMs are initialised
    /// by their own administration tools.
    public func initializeToken(label: String, soPIN: String, userPIN: String) throws -> TokenSlot {
        // Two initialisations racing for "the first free slot" would pick the same one.
        try initializationLock.withLock { _ in try initializeTokenLocked(label: label, soPIN: soPIN, userPIN: userPIN) }
    }

    private let initializationLock = Locked<Void>(())

    private func initializeTokenLocked(label: String, soPIN: String, userPIN: String) throws -> TokenSlot {
        guard let free = try tokens().first(where: { !$0.initialized }) else {
            throw HSMError(.tokenNotFound, "No uninitialised token slot on \(path) to create token '\(label)' in")
        }
        var labelBytes = Self.padded(label, length: 32)
        var so = Array(soPIN.utf8)
        var user = Array(userPIN.utf8)
        try check(functions.C_InitToken!(CK_SLOT_ID(free.slotID), &so, CK_ULONG(so.count), &labelBytes), "C_InitToken", "creating token '\(label)'")
        // SoftHSM2 moves an initialised token to a new slot id; look it up again by label.
        guard let slot = try token(labelled: label) else {
            throw HSMError(.tokenNotFound, "Token '\(label)' was initialised but does not appear in \(path)'s slot list")
        }
        var session: CK_SESSION_HANDLE = 0
        try check(functions.C_OpenSession!(CK_SLOT_ID(slot.slotID), CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session), "C_OpenSession", "opening an SO session on '\(label)'")
        defer { _ = functions.C_CloseSession!(session) }
        try check(functions.C_Login!(session, CK_USER_TYPE(CKU_SO), &so, CK_ULONG(so.count)), "C_Login", "logging in as SO on '\(label)'")
        defer { _ = functions.C_Logout!(session) }
        try check(functions.C_InitPIN!(session, &user, CK_ULONG(user.count)), "C_InitPIN", "setting the user PIN on '\(label)'")
        return try token(labelled: label) ?? slot
    }

    static func paddedString<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        }
    }

    static func padded(_ text: String, length: Int) -> [UInt8] {
        var bytes = Array(text.utf8.prefix(length))
        bytes += [UInt8](repeating: 0x20, count: length - bytes.count)
        return bytes
    }
}
