import X509

/// Names one key in custody. `id` is the PKCS#11 CKA_ID (random, 16 octets) and is what the store
/// and the API call the key; `label` (CKA_LABEL) is for humans and vendor tools.
public struct KeyReference: Hashable, Sendable, Codable, CustomStringConvertible {
    public let id: [UInt8]
    public let label: String

    public init(id: [UInt8], label: String) {
        self.id = id
        self.label = label
    }

    /// Lowercase hex of ``id``: the key id used in the store, the API and the CLI.
    public var idHex: String { id.hexString }

    public var description: String { "\(label) (id \(idHex))" }
}

/// What the key is for. Recorded with the key and checked before use, so an OCSP-signer key can never
/// sign a certificate and a release key can never sign a CRL.
public enum KeyPurpose: String, Sendable, Hashable, Codable, CaseIterable {
    case rootCA = "root-ca"
    case issuingCA = "issuing-ca"
    case ocspSigner = "ocsp-signer"
    case timestamping
    case release
    case audit
}

/// Protection attributes read back from the token, for the compliance report and for tests that
/// prove a key can never leave it.
public struct KeyProtection: Hashable, Sendable, Codable {
    public var onToken: Bool
    public var isPrivate: Bool
    public var sensitive: Bool
    public var extractable: Bool
    public var alwaysSensitive: Bool
    public var neverExtractable: Bool
    /// Generated inside the token (CKA_LOCAL), not imported.
    public var local: Bool

    public init(onToken: Bool, isPrivate: Bool, sensitive: Bool, extractable: Bool, alwaysSensitive: Bool, neverExtractable: Bool, local: Bool) {
        self.onToken = onToken
        self.isPrivate = isPrivate
        self.sensitive = sensitive
        self.extractable = extractable
        self.alwaysSensitive = alwaysSensitive
        self.neverExtractable = neverExtractable
        self.local = local
    }

    /// True when the attributes say the key was made in the token and can never leave it in clear.
    public var isFullyProtected: Bool {
        onToken && isPrivate && sensitive && !extractable && alwaysSensitive && neverExtractable && local
    }
}

/// One private key found in the token, whether or not Signet knows it.
public struct TokenKey: Hashable, Sendable, Codable {
    public let reference: KeyReference
    public let algorithm: KeyAlgorithm?
    public init(reference: KeyReference, algorithm: KeyAlgorithm?) {
        self.reference = reference
        self.algorithm = algorithm
    }
}

/// Key custody: the key manager over the token, in the spirit of smallstep's `kms` interface
/// (create key, get signer, destroy, list). The HSM implementation lives in `SignetHSM`; Core only
/// sees this protocol, so policy code cannot reach private key material even by accident.
public protocol KeyCustodian: Sendable {
    /// Generates a key pair inside the token: on-token, private, sensitive, non-extractable, sign-only.
    func generateKey(_ reference: KeyReference, algorithm: KeyAlgorithm) throws -> any SigningKey
    /// Finds a key generated earlier.
    func key(_ reference: KeyReference) throws -> any SigningKey
    /// Destroys private and public objects for the key. Destroying a key that is already gone succeeds.
    func destroyKey(_ reference: KeyReference) throws
    /// Every private key in the token.
    func listKeys() throws -> [TokenKey]
    /// Protection attributes read back from the token.
    func protection(of reference: KeyReference) throws -> KeyProtection
    /// A description of where keys live, e.g. an RFC 7512 URI prefix naming module and token.
    var custodyDescription: String { get }
}
