import SwiftASN1
import X509

/// A CMS signed-data content (RFC 5652 §5.1): Signet's RFC 3161 time-stamp tokens and detached
/// file signatures. Build one with ``CMSSignedDataBuilder``; parse one to read a token or a signature.
///
/// ```
/// SignedData ::= SEQUENCE {
///   version CMSVersion,
///   digestAlgorithms DigestAlgorithmIdentifiers,
///   encapContentInfo EncapsulatedContentInfo,
///   certificates [0] IMPLICIT CertificateSet OPTIONAL,
///   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///   signerInfos SignerInfos }
///
/// DigestAlgorithmIdentifiers ::= SET OF DigestAlgorithmIdentifier
/// SignerInfos ::= SET OF SignerInfo
/// CertificateSet ::= SET OF CertificateChoices
/// CMSVersion ::= INTEGER { v0(0), v1(1), v2(2), v3(3), v4(4), v5(5) }
/// ```
/// Only the `certificate` alternative of CertificateChoices is read; crls are skipped when read
/// and never written.
public struct SignedData: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    private static let certificatesTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    /// RFC 5652 §5.1: 3 when eContentType is not id-data or a SignerInfo is version 3, else 1
    /// (Signet writes no attribute certificates or "other" formats, which would need 4 or 5).
    public let version: Int
    public let digestAlgorithms: [AlgorithmIdentifier]
    public let encapContentInfo: EncapsulatedContentInfo
    /// Empty when absent.
    public let certificates: [Certificate]
    public let signerInfos: [SignerInfo]

    /// A SignedData whose version is computed from its contents (RFC 5652 §5.1).
    public init(
        digestAlgorithms: [AlgorithmIdentifier], encapContentInfo: EncapsulatedContentInfo, certificates: [Certificate],
        signerInfos: [SignerInfo]
    ) {
        let needsV3 = encapContentInfo.eContentType != .CMSContentType.data || signerInfos.contains { $0.version == 3 }
        self.version = needsV3 ? 3 : 1
        self.digestAlgorithms = digestAlgorithms
        self.encapContentInfo = encapContentInfo
        self.certificates = certificates
        self.signerInfos = signerInfos
    }

    private init(
        version: Int, digestAlgorithms: [AlgorithmIdentifier], encapContentInfo: EncapsulatedContentInfo,
        certificates: [Certificate], signerInfos: [SignerInfo]
    ) {
        self.version = version
        self.digestAlgorithms = digestAlgorithms
        self.encapContentInfo = encapContentInfo
        self.certificates = certificates
        self.signerInfos = signerInfos
    }

    /// This SignedData with `attributes` added to the unsigned attributes of signer `index`, such as
    /// an RFC 3161 token over that signer's signature value (RFC 3161 Appendix A). Signed content is unchanged.
    public func addingUnsignedAttributes(_ attributes: [CMSAttribute], toSignerAt index: Int = 0) throws -> SignedData {
        guard signerInfos.indices.contains(index) else {
            throw WireError.invariant("Expected a signer index below \(signerInfos.count), got \(index)")
        }
        var signers = signerInfos
        signers[index] = try signers[index].addingUnsignedAttributes(attributes)
        return SignedData(
            version: version, digestAlgorithms: digestAlgorithms, encapContentInfo: encapContentInfo,
            certificates: certificates, signerInfos: signers)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try Int(derEncoded: &nodes)
            guard [1, 3, 4, 5].contains(version) else {
                throw WireError.malformed("Expected SignedData version 1, 3, 4 or 5 (RFC 5652 §5.1), got \(version)")
            }
            let digestAlgorithms = try DER.set(of: AlgorithmIdentifier.self, identifier: .set, nodes: &nodes)
            let encap = try EncapsulatedContentInfo(derEncoded: &nodes)
            let certificates = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                try DERNodes.children(of: node, identifier: Self.certificatesTag).map { choice in
                    guard choice.identifier == .sequence else {
                        throw WireError.unsupported("Expected a certificate in the CertificateSet, got the alternative \(choice.identifier)")
                    }
                    return try Certificate(derEncoded: choice)
                }
            }
            _ = DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { _ in }  // crls
            let signerInfos = try DER.set(of: SignerInfo.self, identifier: .set, nodes: &nodes)
            return SignedData(
                version: version, digestAlgorithms: digestAlgorithms, encapContentInfo: encap,
                certificates: certificates ?? [], signerInfos: signerInfos)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            try coder.serializeSetOf(digestAlgorithms)
            try coder.serialize(encapContentInfo)
            if !certificates.isEmpty {
                try coder.serializeSetOf(certificates, identifier: Self.certificatesTag)
            }
            try coder.serializeSetOf(signerInfos)
        }
    }
}
