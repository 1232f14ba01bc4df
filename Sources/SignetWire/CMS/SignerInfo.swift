import Foundation
import SwiftASN1

/// One signature in a CMS SignedData (RFC 5652 §5.3). Signet's HSM key signs
/// ``signedAttributesBytesToSign()``; the signature value, once made, is also what an RFC 3161
/// time-stamp token in the unsigned attributes covers (RFC 3161 Appendix A).
///
/// ```
/// SignerInfo ::= SEQUENCE {
///   version CMSVersion,
///   sid SignerIdentifier,
///   digestAlgorithm DigestAlgorithmIdentifier,
///   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
///   signatureAlgorithm SignatureAlgorithmIdentifier,
///   signature SignatureValue,
///   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
///
/// SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
/// UnsignedAttributes ::= SET SIZE (1..MAX) OF Attribute
/// SignatureValue ::= OCTET STRING
/// ```
public struct SignerInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    private static let signedAttrsTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    private static let unsignedAttrsTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)

    /// 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier (RFC 5652 §5.3).
    public var version: Int { sid.signerInfoVersion }
    public let sid: SignerIdentifier
    public let digestAlgorithm: AlgorithmIdentifier
    /// Empty when absent. Written as a DER SET OF, sorted by encoding.
    public let signedAttrs: [CMSAttribute]
    public let signatureAlgorithm: AlgorithmIdentifier
    /// The signature value (DER Ecdsa-Sig-Value or the PKCS#1 v1.5 block).
    public let signature: [UInt8]
    /// Empty when absent.
    public let unsignedAttrs: [CMSAttribute]

    /// Throws `.invariant` when signed attributes are present without content-type and message-digest,
    /// or repeat a type. The version follows from `sid`.
    public init(
        sid: SignerIdentifier, digestAlgorithm: AlgorithmIdentifier, signedAttrs: [CMSAttribute],
        signatureAlgorithm: AlgorithmIdentifier, signature: [UInt8], unsignedAttrs: [CMSAttribute] = []
    ) throws {
        if !signedAttrs.isEmpty {
            // RFC 5652 §5.3: present signed attributes MUST include content-type and message-digest;
            // §11.1–§11.3: each of the single-instance attributes at most once (Signet applies that to all).
            let types = signedAttrs.map(\.attrType)
            guard Set(types).count == types.count else {
                throw WireError.invariant("Expected each signed attribute type once, got \(types)")
            }
            for required in [ASN1ObjectIdentifier.CMSAttributeType.contentType, .CMSAttributeType.messageDigest]
            where !types.contains(required) {
                throw WireError.invariant("Expected signed attributes to include \(required) (RFC 5652 §5.3), got \(types)")
            }
        }
        self.sid = sid
        self.digestAlgorithm = digestAlgorithm
        self.signedAttrs = signedAttrs
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
        self.unsignedAttrs = unsignedAttrs
    }

    /// The bytes the signature is computed over when signed attributes are present: their DER as an
    /// EXPLICIT SET OF (tag 0x31), not the IMPLICIT [0] (0xA0) they carry inside the SignerInfo
    /// (RFC 5652 §5.4). Sorted by encoding, as DER requires of SET OF and as they are written.
    public func signedAttributesBytesToSign() throws -> [UInt8] {
        guard !signedAttrs.isEmpty else {
            throw WireError.invariant("Expected signed attributes to sign, got none")
        }
        var coder = DER.Serializer()
        try coder.serializeSetOf(signedAttrs)
        return coder.serializedBytes
    }

    /// This SignerInfo with `attributes` appended to its unsigned attributes; the signature stays valid.
    public func addingUnsignedAttributes(_ attributes: [CMSAttribute]) throws -> SignerInfo {
        try SignerInfo(
            sid: sid, digestAlgorithm: digestAlgorithm, signedAttrs: signedAttrs, signatureAlgorithm: signatureAlgorithm,
            signature: signature, unsignedAttrs: unsignedAttrs + attributes)
    }

    /// The signed attribute of `type`, if present.
    public func signedAttribute(_ type: ASN1ObjectIdentifier) -> CMSAttribute? {
        signedAttrs.first { $0.attrType == type }
    }

    /// The unsigned attribute of `type`, if present.
    public func unsignedAttribute(_ type: ASN1ObjectIdentifier) -> CMSAttribute? {
        unsignedAttrs.first { $0.attrType == type }
    }

    /// The content-type signed attribute's value (RFC 5652 §11.1).
    public func contentType() throws -> ASN1ObjectIdentifier? {
        try signedAttribute(.CMSAttributeType.contentType).map { try ASN1ObjectIdentifier(asn1Any: $0.singleValue()) }
    }

    /// The message-digest signed attribute's value (RFC 5652 §11.2).
    public func messageDigest() throws -> [UInt8]? {
        try signedAttribute(.CMSAttributeType.messageDigest).map { Array(try ASN1OctetString(asn1Any: $0.singleValue()).bytes) }
    }

    /// The signing-time signed attribute's value (RFC 5652 §11.3).
    public func signingTime() throws -> Date? {
        try signedAttribute(.CMSAttributeType.signingTime).map { try Time(asn1Any: $0.singleValue()).date }
    }

    /// The signing-certificate-v2 signed attribute's value (RFC 5035 §3).
    public func signingCertificateV2() throws -> SigningCertificateV2? {
        try signedAttribute(.CMSAttributeType.signingCertificateV2).map { try SigningCertificateV2(asn1Any: $0.singleValue()) }
    }

    /// The time-stamp token unsigned attribute's value (RFC 3161 Appendix A).
    public func timeStampToken() throws -> ContentInfo? {
        try unsignedAttribute(.CMSAttributeType.timeStampToken).map { try ContentInfo(asn1Any: $0.singleValue()) }
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try Int(derEncoded: &nodes)
            let sid = try SignerIdentifier(derEncoded: &nodes)
            // RFC 5652 §5.3: the version follows from the choice of signer identifier.
            guard version == sid.signerInfoVersion else {
                throw WireError.malformed("Expected SignerInfo version \(sid.signerInfoVersion) for its signer identifier (RFC 5652 §5.3), got \(version)")
            }
            let digestAlgorithm = try AlgorithmIdentifier(derEncoded: &nodes)
            let signedAttrs = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try DER.set(of: CMSAttribute.self, identifier: Self.signedAttrsTag, rootNode: $0)
            }
            let signatureAlgorithm = try AlgorithmIdentifier(derEncoded: &nodes)
            let signature = try ASN1OctetString(derEncoded: &nodes)
            let unsignedAttrs = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try DER.set(of: CMSAttribute.self, identifier: Self.unsignedAttrsTag, rootNode: $0)
            }
            do {
                return try SignerInfo(
                    sid: sid, digestAlgorithm: digestAlgorithm, signedAttrs: signedAttrs ?? [],
                    signatureAlgorithm: signatureAlgorithm, signature: Array(signature.bytes), unsignedAttrs: unsignedAttrs ?? [])
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            try coder.serialize(sid)
            try coder.serialize(digestAlgorithm)
            if !signedAttrs.isEmpty {
                try coder.serializeSetOf(signedAttrs, identifier: Self.signedAttrsTag)
            }
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: signature[...]))
            if !unsignedAttrs.isEmpty {
                try coder.serializeSetOf(unsignedAttrs, identifier: Self.unsignedAttrsTag)
            }
        }
    }
}
