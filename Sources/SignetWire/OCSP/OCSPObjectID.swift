import SwiftASN1

extension ASN1ObjectIdentifier {
    /// Identifiers from the OCSP arc id-pkix-ocsp (RFC 6960 §4.4, Appendix B).
    public enum OCSPObjectID: Sendable {
        /// id-pkix-ocsp-basic, the one response type Signet writes (RFC 6960 §4.2.1).
        public static let basicResponse: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
        /// id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 8954).
        public static let nonce: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    }
}
