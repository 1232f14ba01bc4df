import SwiftASN1
import X509

/// Pins the issuer and serial of the certificate an ESSCertIDv2 hashes (RFC 5035 §4), so a
/// verifier can find it without trusting the hash alone.
///
/// ```
/// IssuerSerial ::= SEQUENCE {
///     issuer                   GeneralNames,
///     serialNumber             CertificateSerialNumber }
///
/// GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
/// ```
/// RFC 5035 §4: issuer holds exactly one directoryName, the certificate's issuer.
public struct IssuerSerial: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let issuer: DistinguishedName
    /// Big-endian magnitude, no leading zero octets.
    public let serialNumber: [UInt8]

    /// The serial's leading zero octets are dropped.
    public init<Serial: Collection>(issuer: DistinguishedName, serialNumber: Serial) where Serial.Element == UInt8 {
        self.issuer = issuer
        self.serialNumber = DERPrimitives.magnitude(serialNumber)
    }

    /// Pins `certificate`.
    public init(certificate: Certificate) {
        self.init(issuer: certificate.issuer, serialNumber: certificate.serialNumber.bytes)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let names = try DER.sequence(of: GeneralName.self, identifier: .sequence, nodes: &nodes)
            guard names.count == 1, case .directoryName(let issuer) = names[0] else {
                throw WireError.malformed("Expected IssuerSerial.issuer to be one directoryName (RFC 5035 §4), got \(names)")
            }
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            return IssuerSerial(issuer: issuer, serialNumber: serial)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serializeSequenceOf([GeneralName.directoryName(issuer)])
            try coder.serialize(serialNumber[...])
        }
    }
}
