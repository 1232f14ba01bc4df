import SwiftASN1

/// The outer wrapper of every CMS message (RFC 5652 §3); a time-stamp token is one
/// (RFC 3161 §2.4.2: `TimeStampToken ::= ContentInfo`).
///
/// ```
/// ContentInfo ::= SEQUENCE {
///   contentType ContentType,
///   content [0] EXPLICIT ANY DEFINED BY contentType }
///
/// ContentType ::= OBJECT IDENTIFIER
/// ```
public struct ContentInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let contentType: ASN1ObjectIdentifier
    public let content: ASN1Any

    /// Any content type; Signet writes id-signedData (``init(signedData:)``).
    public init(contentType: ASN1ObjectIdentifier, content: ASN1Any) {
        self.contentType = contentType
        self.content = content
    }

    /// id-signedData carrying `signedData`.
    public init(signedData: SignedData) throws {
        self.init(contentType: .CMSContentType.signedData, content: try ASN1Any(erasing: signedData))
    }

    /// The SignedData inside, when contentType is id-signedData.
    public func signedData() throws -> SignedData {
        guard contentType == .CMSContentType.signedData else {
            throw WireError.unsupported("Expected contentType id-signedData, got \(contentType)")
        }
        return try SignedData(asn1Any: content)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let content = try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                ASN1Any(derEncoded: $0)
            }
            return ContentInfo(contentType: type, content: content)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(contentType)
            try coder.serialize(content, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
        }
    }
}
