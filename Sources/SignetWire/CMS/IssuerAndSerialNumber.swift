import SwiftASN1
import X509

/// Names a signer's certificate by issuer and serial (RFC 5652 §10.2.4), the signer identifier
/// Signet writes (SignerInfo version 1, §5.3).
///
/// ```
/// IssuerAndSerialNumber ::= SEQUENCE {
///   issuer Name,
///   serialNumber CertificateSerialNumber }
/// ```
public struct IssuerAndSerialNumber: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let issuer: DistinguishedName
    /// Big-endian magnitude, no leading zero octets.
    public let serialNumber: [UInt8]

    /// The serial's leading zero octets are dropped.
    public init<Serial: Collection>(issuer: DistinguishedName, serialNumber: Serial) where Serial.Element == UInt8 {
        self.issuer = issuer
        self.serialNumber = DERPrimitives.magnitude(serialNumber)
    }

    /// Identifies `certificate`.
    public init(certificate: Certificate) {
        self.init(issuer: certificate.issuer, serialNumber: certificate.serialNumber.bytes)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let issuer = try DistinguishedName(derEncoded: DERPrimitives.next(&nodes, expecting: "issuer"))
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            return IssuerAndSerialNumber(issuer: issuer, serialNumber: serial)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(issuer)
            try coder.serialize(serialNumber[...])
        }
    }
}
