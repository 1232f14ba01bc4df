import SwiftASN1

extension ASN1ObjectIdentifier {
    /// Identifiers of the CRL and CRL entry extensions Signet writes (RFC 5280 §5.2, §5.3).
    /// (The authority key identifier, 2.5.29.35, is swift-certificates' `X509ExtensionID`.)
    public enum CRLExtensionID: Sendable {
        /// cRLNumber, RFC 5280 §5.2.3.
        public static let cRLNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
        /// reasonCode, RFC 5280 §5.3.1.
        public static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
        /// invalidityDate, RFC 5280 §5.3.2.
        public static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
        /// certificateIssuer (indirect CRLs, RFC 5280 §5.3.3); Signet never writes it and refuses to read it.
        public static let certificateIssuer: ASN1ObjectIdentifier = [2, 5, 29, 29]
    }
}
