import CPKCS11

/// One PKCS#11 session: its flags and the operation in progress, if any (PKCS#11 allows one search
/// and one signature at a time per session).
struct Session: Sendable {
    let flags: CK_FLAGS
    /// Handles C_FindObjects has yet to return.
    var found: [CK_OBJECT_HANDLE]?
    var signing: SignOperation?

    var isReadWrite: Bool { flags & CK_FLAGS(CKF_RW_SESSION) != 0 }
}
