import Crypto
import _CryptoExtras
import X509

/// The key types Signet generates in the token and accepts in CSRs. A closed set on purpose: every
/// member is one that code-signing verifiers (Authenticode, jarsigner, openssl) accept, and each
/// maps to exactly one signature algorithm, so a profile's `algorithms` list is the whole policy.
public enum KeyAlgorithm: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case ecP256 = "ec-p256"
    case ecP384 = "ec-p384"
    /// Recognised so that a CSR carrying one can be refused by name; no shipped profile allows it
    /// (CA/B Forum CS BR §6.1.5 requires at least 3072-bit RSA).
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case rsa4096 = "rsa-4096"

    public var description: String { rawValue }

    public var isEC: Bool { self == .ecP256 || self == .ecP384 }

    /// RSA modulus size in bits, or nil for EC keys.
    public var rsaModulusBits: Int? {
        switch self {
        case .rsa2048: return 2048
        case .rsa3072: return 3072
        case .rsa4096: return 4096
        case .ecP256, .ecP384: return nil
        }
    }

    /// The digest Signet pairs with this key: the curve's matching hash for EC (RFC 5758 §3.2),
    /// SHA-256 for RSA up to 3072 bits and SHA-384 for 4096 bits.
    public var digest: DigestAlgorithm {
        switch self {
        case .ecP256, .rsa2048, .rsa3072: return .sha256
        case .ecP384, .rsa4096: return .sha384
        }
    }

    /// The X.509 signature algorithm a key of this type produces with Signet.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch (self.isEC, self.digest) {
        case (true, .sha256): return .ecdsaWithSHA256
        case (true, .sha384): return .ecdsaWithSHA384
        case (true, .sha512): return .ecdsaWithSHA512
        case (false, .sha256): return .sha256WithRSAEncryption
        case (false, .sha384): return .sha384WithRSAEncryption
        case (false, .sha512): return .sha512WithRSAEncryption
        }
    }

    /// Classifies a public key, e.g. one taken from a CSR. Returns nil for key types Signet does not
    /// know at all (Ed25519, P-521, odd RSA sizes), which policy then refuses by name.
    public init?(publicKey: Certificate.PublicKey) {
        if P256.Signing.PublicKey(publicKey) != nil {
            self = .ecP256
        } else if P384.Signing.PublicKey(publicKey) != nil {
            self = .ecP384
        } else if let rsa = _RSA.Signing.PublicKey(publicKey) {
            switch rsa.keySizeInBits {
            case 2048: self = .rsa2048
            case 3072: self = .rsa3072
            case 4096: self = .rsa4096
            default: return nil
            }
        } else {
            return nil
        }
    }

    /// A human description of a key that ``init(publicKey:)`` could not classify.
    public static func describeUnknown(_ publicKey: Certificate.PublicKey) -> String {
        if let rsa = _RSA.Signing.PublicKey(publicKey) { return "rsa-\(rsa.keySizeInBits)" }
        if P521.Signing.PublicKey(publicKey) != nil { return "ec-p521" }
        if Curve25519.Signing.PublicKey(publicKey) != nil { return "ed25519" }
        return "an unsupported key type"
    }
}
