import SwiftASN1
import X509

/// The id-pkix-ocsp-nocheck extension (RFC 6960 §4.2.2.2.1): a delegated OCSP signer's certificate
/// carries it so relying parties do not ask OCSP about the responder itself. Its value is NULL.
public enum OCSPNoCheck {
    public static let oid: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]

    public static func makeExtension() -> Certificate.Extension {
        Certificate.Extension(oid: oid, critical: false, value: [0x05, 0x00])
    }
}
