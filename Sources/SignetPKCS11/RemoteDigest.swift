import Crypto

/// The digests Signet's signing API takes (`POST /api/v1/keys/<id>/sign {digest, algorithm}`), with
/// what the module needs of each: the API's name, the length Signet checks, the PKCS#1 DigestInfo
/// prefix it puts before an RSA signature's digest, and the hash for mechanisms that hash locally.
public enum RemoteDigest: String, Sendable, CaseIterable {
    case sha256
    case sha384
    case sha512

    /// The name in Signet's API.
    public var name: String { rawValue }

    public var length: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    /// The digest of this length, if there is one.
    public init?(length: Int) {
        guard let match = Self.allCases.first(where: { $0.length == length }) else { return nil }
        self = match
    }

    /// DER `DigestInfo` up to the digest (RFC 8017 §9.2 note 1), with the NULL parameters Signet
    /// writes: a CKM_RSA_PKCS input must be exactly this followed by the digest, or Signet's signature
    /// would not be over the same octets.
    public var digestInfoPrefix: [UInt8] {
        switch self {
        case .sha256: return [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]
        case .sha384: return [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]
        case .sha512: return [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]
        }
    }

    /// A hash in progress, for C_SignUpdate.
    public func hasher() -> IncrementalHash {
        switch self {
        case .sha256: return .sha256(SHA256())
        case .sha384: return .sha384(SHA384())
        case .sha512: return .sha512(SHA512())
        }
    }
}
