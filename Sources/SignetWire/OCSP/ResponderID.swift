import SwiftASN1
import X509

/// Names the key that signed an OCSP response (RFC 6960 §4.2.1). Signet uses `byKey`: the SHA-1
/// of the responder's subjectPublicKey BIT STRING value (swift-certificates'
/// `publicKey.subjectPublicKeyInfoBytes`), which RFC 5019 §2.2.3 recommends.
///
/// ```
/// ResponderID ::= CHOICE {
///    byName   [1] Name,
///    byKey    [2] KeyHash }
///
/// KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key
///                          -- (excluding the tag and length fields)
/// ```
/// The RFC 6960 module uses EXPLICIT tagging, so both alternatives are explicitly tagged.
public enum ResponderID: Hashable, Sendable, DERParseable, DERSerializable {
    case byName(DistinguishedName)
    case byKey([UInt8])

    private static let byNameIdentifier = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
    private static let byKeyIdentifier = ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)

    public init(derEncoded rootNode: ASN1Node) throws {
        switch rootNode.identifier {
        case Self.byNameIdentifier:
            self = .byName(try DER.explicitlyTagged(rootNode, tagNumber: 1, tagClass: .contextSpecific) {
                try DistinguishedName(derEncoded: $0)
            })
        case Self.byKeyIdentifier:
            self = .byKey(try DER.explicitlyTagged(rootNode, tagNumber: 2, tagClass: .contextSpecific) {
                Array(try ASN1OctetString(derEncoded: $0).bytes)
            })
        default:
            throw WireError.malformed("Expected ResponderID byName [1] or byKey [2], got \(rootNode.identifier)")
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .byName(let name):
            try coder.serialize(name, explicitlyTaggedWithIdentifier: Self.byNameIdentifier)
        case .byKey(let hash):
            try coder.serialize(ASN1OctetString(contentBytes: hash[...]), explicitlyTaggedWithIdentifier: Self.byKeyIdentifier)
        }
    }
}
