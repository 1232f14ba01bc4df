import CPKCS11
import Crypto

/// The module between C_Initialize and C_Finalize, in the process that called C_Initialize: its
/// configuration, the token as last listed, sessions and the login state. Guarded by the
/// ``Cryptoki`` lock; never used across a fork (the pid tells).
struct LiveState: Sendable {
    let pid: Int32
    /// Distinguishes this initialisation from the next, so an answer from Signet that arrives after a
    /// C_Finalize is not installed into a later initialisation.
    let generation: UInt64
    let api: SignetAPI
    let diagnostics: Diagnostics
    var token: TokenView?
    var lastFailure: (at: ContinuousClock.Instant, failure: SignetFailure)?
    var sessions: [CK_SESSION_HANDLE: Session] = [:]
    var lastSession: CK_SESSION_HANDLE = 0
    var handles = ObjectHandles()
    /// CKU_USER or CKU_SO once C_Login succeeded; the token needs no login, but consumers log in.
    var loggedIn: CK_USER_TYPE?

    init(pid: Int32, generation: UInt64, api: SignetAPI, diagnostics: Diagnostics) {
        self.pid = pid
        self.generation = generation
        self.api = api
        self.diagnostics = diagnostics
    }

    /// Replaces the token's contents with a new listing.
    mutating func install(_ contents: TokenContents) {
        var objects: [CK_OBJECT_HANDLE: TokenObject] = [:]
        var order: [CK_OBJECT_HANDLE] = []
        var keys: [CK_OBJECT_HANDLE: TokenContents.RemoteKey] = [:]
        for object in contents.objects {
            let handle = handles.handle(for: object.identity)
            objects[handle] = object
            order.append(handle)
            if let key = contents.keys[object.identity] { keys[handle] = key }
        }
        let digest = SHA256.hash(data: Array((api.configuration.baseURL + "\n" + contents.label).utf8))
        let serial = digest.prefix(8).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
        }.joined()
        token = TokenView(label: contents.label, principal: contents.principal, serialNumber: serial, objects: objects, order: order, keys: keys)
    }
}
