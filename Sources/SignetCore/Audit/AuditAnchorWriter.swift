/// What checkpointing needs of the token besides signing: generating the audit key (its public half
/// readable without login, so auditors can check signatures without the PIN) and writing the anchor.
public protocol AuditAnchorWriter: AuditAnchorReader {
    /// Generates the audit key pair in the token, protected as every Signet key, with the public half
    /// CKA_PRIVATE false.
    func generateAuditKey(_ reference: KeyReference, algorithm: KeyAlgorithm) throws -> any SigningKey
    /// Makes `value` the anchor's `copy`: creates a new object holding it, then destroys the older
    /// objects of that copy. Creating before destroying means an interruption leaves an extra object
    /// (readers take the newest) rather than none; an object rewritten in place could be left torn.
    func writeAnchor(_ value: [UInt8], copy: AuditAnchor.Copy) throws
}
