import SwiftASN1

extension ASN1ObjectIdentifier {
    /// Attribute types Signet writes into, and reads from, a CMS SignerInfo.
    public enum CMSAttributeType: Sendable {
        /// id-contentType, RFC 5652 §11.1 (signed; required whenever signed attributes are present).
        public static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
        /// id-messageDigest, RFC 5652 §11.2 (signed; required whenever signed attributes are present).
        public static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
        /// id-signingTime, RFC 5652 §11.3.
        public static let signingTime: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 5]
        /// id-aa-signingCertificateV2, RFC 5035 §3 (RFC 5816 for time-stamp tokens).
        public static let signingCertificateV2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 2, 47]
        /// id-aa-timeStampToken, RFC 3161 Appendix A (unsigned; a token over the signature value).
        public static let timeStampToken: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 2, 14]
    }
}
