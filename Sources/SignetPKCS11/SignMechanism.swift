import CPKCS11

/// The signature mechanisms the token offers. Release keys are EC (P-256, P-384) or RSA with PKCS#1
/// v1.5, because that is what Signet's HSM signs with; every mechanism ends in one remote signature
/// over a digest, so the `_SHA*` variants hash here and send the digest.
public enum SignMechanism: Sendable, CaseIterable, Equatable {
    case ecdsa
    case ecdsaSHA256
    case ecdsaSHA384
    case ecdsaSHA512
    case rsaPKCS
    case sha256RSAPKCS
    case sha384RSAPKCS
    case sha512RSAPKCS

    public init?(type: CK_MECHANISM_TYPE) {
        guard let match = Self.allCases.first(where: { $0.type == type }) else { return nil }
        self = match
    }

    public var type: CK_MECHANISM_TYPE {
        switch self {
        case .ecdsa: return CK_MECHANISM_TYPE(CKM_ECDSA)
        case .ecdsaSHA256: return CK_MECHANISM_TYPE(CKM_ECDSA_SHA256)
        case .ecdsaSHA384: return CK_MECHANISM_TYPE(CKM_ECDSA_SHA384)
        case .ecdsaSHA512: return CK_MECHANISM_TYPE(CKM_ECDSA_SHA512)
        case .rsaPKCS: return CK_MECHANISM_TYPE(CKM_RSA_PKCS)
        case .sha256RSAPKCS: return CK_MECHANISM_TYPE(CKM_SHA256_RSA_PKCS)
        case .sha384RSAPKCS: return CK_MECHANISM_TYPE(CKM_SHA384_RSA_PKCS)
        case .sha512RSAPKCS: return CK_MECHANISM_TYPE(CKM_SHA512_RSA_PKCS)
        }
    }

    public var isEC: Bool {
        switch self {
        case .ecdsa, .ecdsaSHA256, .ecdsaSHA384, .ecdsaSHA512: return true
        case .rsaPKCS, .sha256RSAPKCS, .sha384RSAPKCS, .sha512RSAPKCS: return false
        }
    }

    /// The hash computed here before the remote signature; nil when the caller passes the digest
    /// (CKM_ECDSA) or the DigestInfo (CKM_RSA_PKCS).
    public var hash: RemoteDigest? {
        switch self {
        case .ecdsa, .rsaPKCS: return nil
        case .ecdsaSHA256, .sha256RSAPKCS: return .sha256
        case .ecdsaSHA384, .sha384RSAPKCS: return .sha384
        case .ecdsaSHA512, .sha512RSAPKCS: return .sha512
        }
    }

    /// Whether the mechanism signs with a key of this kind.
    public func accepts(_ key: PublicKeyFields) -> Bool {
        if case .ec = key { return isEC }
        return !isEC
    }

    /// What C_GetMechanismInfo reports: sizes in bits (PKCS#11 §2.3 for EC, §2.1 for RSA) and
    /// CKF_HW, since the key is used inside Signet's HSM.
    public var info: CK_MECHANISM_INFO {
        var info = CK_MECHANISM_INFO()
        info.flags = CK_FLAGS(CKF_SIGN) | CK_FLAGS(CKF_HW)
        if isEC {
            info.ulMinKeySize = 256
            info.ulMaxKeySize = 384
            info.flags |= CK_FLAGS(CKF_EC_F_P) | CK_FLAGS(CKF_EC_NAMEDCURVE) | CK_FLAGS(CKF_EC_UNCOMPRESS)
        } else {
            info.ulMinKeySize = 2048
            info.ulMaxKeySize = 4096
        }
        return info
    }

    /// The longest input a raw mechanism takes: CKM_RSA_PKCS is bounded by the modulus, and a CKM_ECDSA
    /// digest longer than SHA-512 is a caller's mistake.
    public static let maximumRawInput = 512
}
