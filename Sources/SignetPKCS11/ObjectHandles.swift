import CPKCS11

/// Object handles for one initialisation of the module: an object keeps its handle for as long as
/// listings show it, and a handle is never given to another object (a stale handle is invalid, never
/// someone else's key).
struct ObjectHandles: Sendable {
    private var assigned: [TokenObject.Identity: CK_OBJECT_HANDLE] = [:]
    private var last: CK_OBJECT_HANDLE = 0

    mutating func handle(for identity: TokenObject.Identity) -> CK_OBJECT_HANDLE {
        if let handle = assigned[identity] { return handle }
        last += 1
        assigned[identity] = last
        return last
    }
}
