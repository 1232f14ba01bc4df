import SwiftASN1

extension ASN1ObjectIdentifier {
    /// Object identifiers of PKCS #12 (RFC 7292) and the PKCS #5 (RFC 8018) algorithms Signet writes into
    /// a keystore.
    public enum PKCS12: Sendable {
        /// pkcs-12 bag types, RFC 7292 §4.2.
        public static let certBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 3]
        public static let pkcs8ShroudedKeyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 2]
        /// x509Certificate certificate type, RFC 7292 §4.2.3 (PKCS #9 certTypes).
        public static let x509Certificate: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 22, 1]
        /// PKCS #9 attributes RFC 7292 §4.2 allows on bags: the alias and the key/certificate link.
        public static let friendlyName: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 20]
        public static let localKeyID: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 21]
        /// PBES2 and PBKDF2, RFC 8018 Appendix A.2 and A.4.
        public static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
        public static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
        /// hmacWithSHA256, RFC 8018 Appendix B.1.2.
        public static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
        /// aes256-CBC-PAD, RFC 8018 Appendix B.2.5 (NIST's id-aes256-CBC).
        public static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]
    }
}
