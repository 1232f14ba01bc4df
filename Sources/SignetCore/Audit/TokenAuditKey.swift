import X509

/// What the token itself says about a key that signed audit checkpoints: its public half, and the
/// facts that show whether Signet made it there. A public key recorded in the database proves
/// nothing (whoever can write the database can write one); this is read from the token's objects.
public struct TokenAuditKey: Sendable {
    /// CKA_ID, lowercase hex.
    public let id: String
    /// CKA_LABEL of the key objects.
    public let label: String
    /// From the token's public-key object.
    public let publicKey: Certificate.PublicKey
    /// The key type, which fixes the signature algorithm.
    public let algorithm: KeyAlgorithm
    /// CKA_LOCAL of the public-key object: the pair was generated in the token, not imported.
    public let generatedInToken: Bool
    /// The private half's protection, when the reader is logged in and can see it; nil otherwise.
    public let privateHalf: KeyProtection?
    /// A private half with this id is visible without login. Signet's never is (CKA_PRIVATE true),
    /// so such a key was made by someone else.
    public let privateHalfIsPublic: Bool

    public init(id: String, label: String, publicKey: Certificate.PublicKey, algorithm: KeyAlgorithm, generatedInToken: Bool,
                privateHalf: KeyProtection?, privateHalfIsPublic: Bool) {
        self.id = id
        self.label = label
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.generatedInToken = generatedInToken
        self.privateHalf = privateHalf
        self.privateHalfIsPublic = privateHalfIsPublic
    }

    /// Why this key cannot vouch for audit checkpoints, or nil when it can. `loggedIn` says whether
    /// the private half could be seen (with the PIN); without it the public half's facts are all
    /// there is.
    public func disqualification(loggedIn: Bool) -> String? {
        guard label == AuditTrail.auditKeyLabel else {
            return "labelled '\(label)', not '\(AuditTrail.auditKeyLabel)'"
        }
        guard generatedInToken else { return "its public half was imported into the token, not generated there" }
        if loggedIn {
            guard let privateHalf else { return "its private half is not in the token" }
            guard privateHalf.isFullyProtected else {
                return "its private half was not generated and kept in the token as Signet requires (\(privateHalf))"
            }
        } else if privateHalfIsPublic {
            return "its private half can be read without the PIN, so it is not a key Signet generated"
        }
        return nil
    }
}
