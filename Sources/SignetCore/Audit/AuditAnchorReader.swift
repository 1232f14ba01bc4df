/// The token's side of audit verification: the anchor copies it holds and the audit keys it holds.
/// Implemented in SignetHSM twice: by the logged-in key manager (everything), and by a session
/// without login for auditors who do not have the PIN (public objects only). Core never sees PKCS#11.
public protocol AuditAnchorReader: Sendable {
    /// Whether this reader is logged in, and so sees private objects (the private anchor copy and the
    /// audit keys' private halves).
    var seesPrivateObjects: Bool { get }
    /// The CKA_VALUE of every anchor object of `copy` in the token (normally one; two after a write
    /// interrupted between creating the new object and destroying the old). Empty when there is
    /// none, or when `copy` is private and this reader cannot see private objects.
    func anchorValues(_ copy: AuditAnchor.Copy) throws -> [[UInt8]]
    /// The key the token holds under CKA_ID `id`, or nil when it holds none this reader can see.
    func auditKey(id: [UInt8]) throws -> TokenAuditKey?
}
