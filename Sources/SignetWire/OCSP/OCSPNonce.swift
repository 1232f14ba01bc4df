import SwiftASN1
import X509

/// The OCSP nonce extension (RFC 6960 §4.4.1, profiled by RFC 8954). The responder copies the
/// request's extnValue into the response unchanged; RFC 8954 bounds what it may contain.
///
/// ```
/// id-pkix-ocsp-nonce  OBJECT IDENTIFIER ::= { id-pkix-ocsp 2 }
/// Nonce ::= OCTET STRING(SIZE(1..32))
/// ```
/// The extnValue OCTET STRING holds the DER of `Nonce`, so on the wire (as OpenSSL sends it) the
/// nonce is an OCTET STRING inside an OCTET STRING.
public enum OCSPNonce {
    public static let oid = ASN1ObjectIdentifier.OCSPObjectID.nonce

    /// RFC 8954 §2.1: the nonce octets, when `extensionValue` (the extnValue contents) is the DER of
    /// an OCTET STRING of 1 to 32 octets; otherwise `WireError.malformed`.
    @discardableResult
    public static func validate(extensionValue: [UInt8]) throws -> [UInt8] {
        let nonce: ASN1OctetString
        do {
            nonce = try ASN1OctetString(derEncoded: extensionValue)
        } catch {
            throw WireError.malformed("Expected the nonce extnValue to hold a DER OCTET STRING (RFC 8954 §2.1), got \(error)")
        }
        guard (1...32).contains(nonce.bytes.count) else {
            throw WireError.malformed("Expected a nonce of 1 to 32 octets (RFC 8954 §2.1), got \(nonce.bytes.count)")
        }
        return Array(nonce.bytes)
    }

    /// The response extension that echoes the request's extnValue byte for byte (RFC 6960 §4.4.1).
    public static func makeExtension(echoing extensionValue: [UInt8]) -> Certificate.Extension {
        Certificate.Extension(oid: oid, critical: false, value: extensionValue[...])
    }

    /// The extnValue for a fresh nonce (as a client would send it): the DER of `OCTET STRING nonce`.
    public static func extensionValue(nonce: [UInt8]) throws -> [UInt8] {
        guard (1...32).contains(nonce.count) else {
            throw WireError.invariant("Expected a nonce of 1 to 32 octets (RFC 8954 §2.1), got \(nonce.count)")
        }
        return try ASN1OctetString(contentBytes: nonce[...]).derBytes()
    }

    /// The extnValue of the nonce extension among `extensions`, if there is one.
    static func find(in extensions: [Certificate.Extension]) -> [UInt8]? {
        extensions.first { $0.oid == oid }.map { Array($0.value) }
    }
}
