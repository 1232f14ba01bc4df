import X509

extension Certificate.SignatureAlgorithm {
    /// The algorithm's standard name, as openssl and the RFCs write it (`ecdsa-with-SHA256`,
    /// `sha256WithRSAEncryption`): what API answers carry, so a client can compare it with what its
    /// own tools print. Anything else is named by its dotted OID.
    public var standardName: String {
        switch self {
        case .ecdsaWithSHA256: return "ecdsa-with-SHA256"
        case .ecdsaWithSHA384: return "ecdsa-with-SHA384"
        case .ecdsaWithSHA512: return "ecdsa-with-SHA512"
        case .sha256WithRSAEncryption: return "sha256WithRSAEncryption"
        case .sha384WithRSAEncryption: return "sha384WithRSAEncryption"
        case .sha512WithRSAEncryption: return "sha512WithRSAEncryption"
        default: return "\(self)".replacingOccurrences(of: "SignatureAlgorithm(", with: "").replacingOccurrences(of: ")", with: "")
        }
    }
}
