import SwiftASN1

/// The signing-certificate-v2 signed attribute (RFC 5035 §3): the certificates that must be used
/// to verify the signature, the first being the signer's. RFC 5816 §2.2.1 allows it in place of
/// the SHA-1 based signing-certificate attribute in time-stamp tokens.
///
/// ```
/// SigningCertificateV2 ::=  SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
/// Signet writes no policies; when reading, policies are skipped.
public struct SigningCertificateV2: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let certs: [ESSCertIDv2]

    /// Throws `.invariant` with no ESSCertIDv2.
    public init(certs: [ESSCertIDv2]) throws {
        // RFC 5035 §3: the first ESSCertIDv2 identifies the signer's certificate, so there is one.
        guard !certs.isEmpty else {
            throw WireError.invariant("Expected at least the signer's ESSCertIDv2 (RFC 5035 §3), got none")
        }
        self.certs = certs
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let certs = try DER.sequence(of: ESSCertIDv2.self, identifier: .sequence, nodes: &nodes)
            _ = nodes.next()  // policies
            do {
                return try SigningCertificateV2(certs: certs)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serializeSequenceOf(certs)
        }
    }
}
