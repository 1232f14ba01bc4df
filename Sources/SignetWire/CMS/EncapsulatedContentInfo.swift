import SwiftASN1

/// What a SignedData signs (RFC 5652 §5.2): the content's type and, unless the signature is
/// detached, the content itself.
///
/// ```
/// EncapsulatedContentInfo ::= SEQUENCE {
///   eContentType ContentType,
///   eContent [0] EXPLICIT OCTET STRING OPTIONAL }
/// ```
public struct EncapsulatedContentInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let eContentType: ASN1ObjectIdentifier
    /// nil for a detached signature (RFC 5652 §5.2: "external signature").
    public let eContent: [UInt8]?

    /// A nil eContent makes the signature detached.
    public init(eContentType: ASN1ObjectIdentifier, eContent: [UInt8]?) {
        self.eContentType = eContentType
        self.eContent = eContent
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let content = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                Array(try ASN1OctetString(derEncoded: $0).bytes)
            }
            return EncapsulatedContentInfo(eContentType: type, eContent: content)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(eContentType)
            if let eContent {
                try coder.serialize(ASN1OctetString(contentBytes: eContent[...]), explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
        }
    }
}
