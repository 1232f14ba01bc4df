import CPKCS11

/// The token as the current key listing shows it, with the handles PKCS#11 callers use. Handles stay
/// the same for the same object from one listing to the next (``ObjectHandles``), so a handle found
/// in one session still names that object after another session refreshed the listing.
struct TokenView: Sendable {
    let label: String
    let principal: String
    /// PKCS#11's 16-character token serial: stable for one Signet and team.
    let serialNumber: String
    let objects: [CK_OBJECT_HANDLE: TokenObject]
    /// Handles in the listing's order, which is the order C_FindObjects returns.
    let order: [CK_OBJECT_HANDLE]
    /// The private key handles, with what signing needs.
    let keys: [CK_OBJECT_HANDLE: TokenContents.RemoteKey]
}
