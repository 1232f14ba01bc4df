import CPKCS11

/// One object the Signet token shows (a release key's private or public half, a certificate), as
/// PKCS#11 sees it: attributes already encoded, plus those that exist but are never revealed. Built
/// once per listing by ``TokenContents``; C_GetAttributeValue and C_FindObjects read it.
public struct TokenObject: Sendable, Equatable {
    /// What the object stands for, stable from one listing to the next, so its handle can be too.
    public enum Identity: Hashable, Sendable, CustomStringConvertible {
        case privateKey(keyID: String)
        case publicKey(keyID: String)
        /// A certificate, named by the SHA-256 of its DER in hex.
        case certificate(fingerprint: String)

        public var description: String {
            switch self {
            case .privateKey(let id): return "private key \(id)"
            case .publicKey(let id): return "public key \(id)"
            case .certificate(let fingerprint): return "certificate \(fingerprint.prefix(16))"
            }
        }
    }

    /// What a lookup of one attribute finds.
    public enum Lookup: Equatable {
        case value([UInt8])
        /// The attribute exists but its value never leaves Signet (PKCS#11 §4.8: CKA_SENSITIVE keys).
        case sensitive
        case absent
    }

    public let identity: Identity
    public let attributes: [CK_ATTRIBUTE_TYPE: [UInt8]]
    public let sensitive: Set<CK_ATTRIBUTE_TYPE>

    public init(identity: Identity, attributes: [CK_ATTRIBUTE_TYPE: [UInt8]], sensitive: Set<CK_ATTRIBUTE_TYPE> = []) {
        self.identity = identity
        self.attributes = attributes
        self.sensitive = sensitive
    }

    public func lookup(_ type: CK_ATTRIBUTE_TYPE) -> Lookup {
        if let value = attributes[type] { return .value(value) }
        return sensitive.contains(type) ? .sensitive : .absent
    }

    /// The object's class, for callers that branch on it.
    public var objectClass: CK_OBJECT_CLASS? {
        attributes[CK_ATTRIBUTE_TYPE(CKA_CLASS)].flatMap(AttributeEncoding.readULong)
    }
}
