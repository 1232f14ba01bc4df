import SwiftASN1

/// One item of a PKCS #12 keystore (RFC 7292 §4.2): here a certificate (certBag, whose value is a
/// CertBag) or a password-encrypted private key (pkcs8ShroudedKeyBag, whose value is an
/// ``EncryptedPrivateKeyInfo``).
///
/// ```
/// SafeBag ::= SEQUENCE {
///     bagId          BAG-TYPE.&id ({PKCS12BagSet}),
///     bagValue       [0] EXPLICIT BAG-TYPE.&Type({PKCS12BagSet}{@bagId}),
///     bagAttributes  SET OF PKCS12Attribute OPTIONAL }
///
/// SafeContents ::= SEQUENCE OF SafeBag
/// ```
public struct SafeBag: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let bagID: ASN1ObjectIdentifier
    public let bagValue: ASN1Any
    public let attributes: [PKCS12Attribute]

    public init(bagID: ASN1ObjectIdentifier, bagValue: ASN1Any, attributes: [PKCS12Attribute]) {
        self.bagID = bagID
        self.bagValue = bagValue
        self.attributes = attributes
    }

    /// A certBag holding an X.509 certificate's DER.
    public static func certificate(_ der: [UInt8], attributes: [PKCS12Attribute] = []) throws -> SafeBag {
        SafeBag(bagID: .PKCS12.certBag, bagValue: try ASN1Any(erasing: CertBag(certificate: der)), attributes: attributes)
    }

    /// A pkcs8ShroudedKeyBag.
    public static func shroudedKey(_ key: EncryptedPrivateKeyInfo, attributes: [PKCS12Attribute]) throws -> SafeBag {
        SafeBag(bagID: .PKCS12.pkcs8ShroudedKeyBag, bagValue: try ASN1Any(erasing: key), attributes: attributes)
    }

    /// The certificate's DER, for a certBag of an X.509 certificate.
    public func certificateDER() throws -> [UInt8] {
        guard bagID == .PKCS12.certBag else { throw WireError.unsupported("Expected a certBag, got bag type \(bagID)") }
        return try CertBag(asn1Any: bagValue).certificate
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let id = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let value = try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { ASN1Any(derEncoded: $0) }
            let attributes = try nodes.next().map { try DER.set(of: PKCS12Attribute.self, identifier: .set, rootNode: $0) } ?? []
            return SafeBag(bagID: id, bagValue: value, attributes: attributes)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(bagID)
            try coder.serialize(bagValue, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            if !attributes.isEmpty { try coder.serializeSetOf(attributes) }
        }
    }
}
