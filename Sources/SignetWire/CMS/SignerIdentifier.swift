import SwiftASN1

/// How a SignerInfo names the signer's certificate (RFC 5652 §5.3). Signet writes
/// `issuerAndSerialNumber`; `subjectKeyIdentifier` is read so that other TSAs' tokens parse.
///
/// ```
/// SignerIdentifier ::= CHOICE {
///   issuerAndSerialNumber IssuerAndSerialNumber,
///   subjectKeyIdentifier [0] SubjectKeyIdentifier }
///
/// SubjectKeyIdentifier ::= OCTET STRING
/// ```
/// The CMS module uses IMPLICIT tagging, so subjectKeyIdentifier is a primitive [0].
public enum SignerIdentifier: Hashable, Sendable, DERParseable, DERSerializable {
    case issuerAndSerialNumber(IssuerAndSerialNumber)
    case subjectKeyIdentifier([UInt8])

    private static let subjectKeyIdentifierTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    /// The SignerInfo version this choice requires (RFC 5652 §5.3): 1 or 3.
    var signerInfoVersion: Int {
        switch self {
        case .issuerAndSerialNumber: 1
        case .subjectKeyIdentifier: 3
        }
    }

    public init(derEncoded rootNode: ASN1Node) throws {
        switch rootNode.identifier {
        case .sequence:
            self = .issuerAndSerialNumber(try IssuerAndSerialNumber(derEncoded: rootNode))
        case Self.subjectKeyIdentifierTag:
            self = .subjectKeyIdentifier(Array(try ASN1OctetString(derEncoded: rootNode, withIdentifier: Self.subjectKeyIdentifierTag).bytes))
        default:
            throw WireError.malformed("Expected SignerIdentifier issuerAndSerialNumber or subjectKeyIdentifier [0], got \(rootNode.identifier)")
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .issuerAndSerialNumber(let value):
            try coder.serialize(value)
        case .subjectKeyIdentifier(let identifier):
            try ASN1OctetString(contentBytes: identifier[...]).serialize(into: &coder, withIdentifier: Self.subjectKeyIdentifierTag)
        }
    }
}
