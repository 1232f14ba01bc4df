import SwiftASN1

/// An attribute on a PKCS #12 SafeBag (RFC 7292 §4.2). Signet writes the two every reader looks for:
/// friendlyName (the alias `jarsigner` and `keytool` know the entry by) and localKeyId (which
/// certificate goes with which key).
///
/// ```
/// PKCS12Attribute ::= SEQUENCE {
///     attrId      ATTRIBUTE.&id ({PKCS12AttrSet}),
///     attrValues  SET OF ATTRIBUTE.&Type ({PKCS12AttrSet}{@attrId}) }
/// ```
public struct PKCS12Attribute: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let attrID: ASN1ObjectIdentifier
    public let values: [ASN1Any]

    public init(attrID: ASN1ObjectIdentifier, values: [ASN1Any]) {
        self.attrID = attrID
        self.values = values
    }

    /// friendlyName (PKCS #9 §5.5.1): a BMPString.
    public static func friendlyName(_ name: String) throws -> PKCS12Attribute {
        guard !name.isEmpty, name.utf16.allSatisfy({ !(0xD800...0xDFFF).contains($0) }) else {
            throw WireError.invariant("A friendlyName is a non-empty BMPString: characters outside the Basic Multilingual Plane cannot be written")
        }
        let bytes = name.utf16.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
        return PKCS12Attribute(attrID: .PKCS12.friendlyName, values: [try ASN1Any(erasing: ASN1BMPString(contentBytes: bytes[...]))])
    }

    /// localKeyId (PKCS #9 §5.5.2): an OCTET STRING shared by a key bag and its certificate's bag.
    public static func localKeyID(_ id: [UInt8]) throws -> PKCS12Attribute {
        PKCS12Attribute(attrID: .PKCS12.localKeyID, values: [try ASN1Any(erasing: ASN1OctetString(contentBytes: id[...]))])
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let id = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let values = try DER.set(of: ASN1Any.self, identifier: .set, nodes: &nodes)
            return PKCS12Attribute(attrID: id, values: values)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(attrID)
            try coder.serializeSetOf(values)
        }
    }
}
