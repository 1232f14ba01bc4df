import SwiftASN1

/// The value of a PKCS #12 certBag (RFC 7292 §4.2.3) holding an X.509 certificate.
///
/// ```
/// CertBag ::= SEQUENCE {
///     certId    BAG-TYPE.&id   ({CertTypes}),
///     certValue [0] EXPLICIT BAG-TYPE.&Type ({CertTypes}{@certId}) }
///
/// x509Certificate BAG-TYPE ::= {OCTET STRING IDENTIFIED BY {certTypes 1}}
///     -- DER-encoded X.509 certificate stored in OCTET STRING
/// ```
public struct CertBag: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The certificate's DER.
    public let certificate: [UInt8]

    public init(certificate: [UInt8]) {
        self.certificate = certificate
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let certID = try ASN1ObjectIdentifier(derEncoded: &nodes)
            guard certID == .PKCS12.x509Certificate else { throw WireError.unsupported("Expected an x509Certificate CertBag, got \(certID)") }
            return CertBag(certificate: try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                Array(try ASN1OctetString(derEncoded: $0).bytes)
            })
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(ASN1ObjectIdentifier.PKCS12.x509Certificate)
            try coder.serialize(ASN1OctetString(contentBytes: certificate[...]), explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
        }
    }
}
