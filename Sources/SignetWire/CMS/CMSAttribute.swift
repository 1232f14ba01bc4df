import Foundation
import SwiftASN1

/// A signed or unsigned attribute of a CMS SignerInfo (RFC 5652 §5.3), with constructors for the
/// attributes Signet writes.
///
/// ```
/// Attribute ::= SEQUENCE {
///   attrType OBJECT IDENTIFIER,
///   attrValues SET OF AttributeValue }
///
/// AttributeValue ::= ANY
/// ```
/// attrValues is a DER SET OF, so its values are written sorted by their encodings (X.690 §11.6).
public struct CMSAttribute: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let attrType: ASN1ObjectIdentifier
    public let attrValues: [ASN1Any]

    /// Throws `.invariant` with no values: an attribute without a value asserts nothing.
    public init(attrType: ASN1ObjectIdentifier, attrValues: [ASN1Any]) throws {
        guard !attrValues.isEmpty else {
            throw WireError.invariant("Expected at least one value for attribute \(attrType), got none")
        }
        self.attrType = attrType
        self.attrValues = attrValues
    }

    /// content-type (RFC 5652 §11.1): the eContentType being signed.
    public static func contentType(_ type: ASN1ObjectIdentifier) throws -> CMSAttribute {
        try CMSAttribute(attrType: .CMSAttributeType.contentType, attrValues: [ASN1Any(erasing: type)])
    }

    /// message-digest (RFC 5652 §11.2): the digest of the eContent (or of the detached content).
    public static func messageDigest(_ digest: [UInt8]) throws -> CMSAttribute {
        try CMSAttribute(
            attrType: .CMSAttributeType.messageDigest, attrValues: [ASN1Any(erasing: ASN1OctetString(contentBytes: digest[...]))])
    }

    /// signing-time (RFC 5652 §11.3): UTCTime for 1950 through 2049, GeneralizedTime otherwise; whole seconds.
    public static func signingTime(_ date: Date) throws -> CMSAttribute {
        try CMSAttribute(attrType: .CMSAttributeType.signingTime, attrValues: [ASN1Any(erasing: Time(date))])
    }

    /// signing-certificate-v2 (RFC 5035 §3; RFC 5816 §2.2.1 for time-stamp tokens).
    public static func signingCertificateV2(_ value: SigningCertificateV2) throws -> CMSAttribute {
        try CMSAttribute(attrType: .CMSAttributeType.signingCertificateV2, attrValues: [ASN1Any(erasing: value)])
    }

    /// time-stamp token (RFC 3161 Appendix A), an unsigned attribute over the signature value.
    public static func timeStampToken(_ token: ContentInfo) throws -> CMSAttribute {
        try CMSAttribute(attrType: .CMSAttributeType.timeStampToken, attrValues: [ASN1Any(erasing: token)])
    }

    /// The one value of a single-valued attribute (the RFC 5652 §11 attributes, RFC 5035, RFC 3161).
    public func singleValue() throws -> ASN1Any {
        guard attrValues.count == 1, let value = attrValues.first else {
            throw WireError.malformed("Expected one value for attribute \(attrType), got \(attrValues.count)")
        }
        return value
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let values = try DER.set(of: ASN1Any.self, identifier: .set, nodes: &nodes)
            do {
                return try CMSAttribute(attrType: type, attrValues: values)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(attrType)
            try coder.serializeSetOf(attrValues)
        }
    }
}
