import SwiftASN1

/// Identifies the certificate an OCSP request asks about and the response answers for
/// (RFC 6960 §4.1.1). Clients hash with SHA-1 (RFC 5019 §2.1.1) or SHA-256; the responder
/// echoes the CertID it was sent.
///
/// ```
/// CertID          ::=     SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
/// issuerNameHash hashes the DER of the issuer's Name; issuerKeyHash hashes the value of the
/// issuer's subjectPublicKey BIT STRING (swift-certificates' `publicKey.subjectPublicKeyInfoBytes`).
public struct CertID: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let hashAlgorithm: AlgorithmIdentifier
    public let issuerNameHash: [UInt8]
    public let issuerKeyHash: [UInt8]
    /// Big-endian magnitude, no leading zero octets (as in swift-certificates' `Certificate.SerialNumber.bytes`).
    public let serialNumber: [UInt8]

    /// Throws `.invariant` unless both hashes have one non-zero length; the serial's leading zero octets are dropped.
    public init<Serial: Collection>(
        hashAlgorithm: AlgorithmIdentifier, issuerNameHash: [UInt8], issuerKeyHash: [UInt8], serialNumber: Serial
    ) throws where Serial.Element == UInt8 {
        // Both hashes come from the same algorithm, so they have the same, non-zero length.
        guard !issuerNameHash.isEmpty, issuerNameHash.count == issuerKeyHash.count else {
            throw WireError.invariant("Expected issuerNameHash and issuerKeyHash of one non-zero length, got \(issuerNameHash.count) and \(issuerKeyHash.count) octets")
        }
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = DERPrimitives.magnitude(serialNumber)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let algorithm = try AlgorithmIdentifier(derEncoded: &nodes)
            let nameHash = try ASN1OctetString(derEncoded: &nodes)
            let keyHash = try ASN1OctetString(derEncoded: &nodes)
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            do {
                return try CertID(
                    hashAlgorithm: algorithm, issuerNameHash: Array(nameHash.bytes), issuerKeyHash: Array(keyHash.bytes),
                    serialNumber: serial)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(hashAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: issuerNameHash[...]))
            try coder.serialize(ASN1OctetString(contentBytes: issuerKeyHash[...]))
            try coder.serialize(serialNumber[...])
        }
    }
}
