import SwiftASN1

/// The answer for one certificate in an OCSP response (RFC 6960 §4.2.1).
///
/// ```
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }
///
/// UnknownInfo ::= NULL
/// ```
public enum CertStatus: Hashable, Sendable, DERParseable, DERSerializable {
    case good
    case revoked(RevokedInfo)
    case unknown

    private static let goodIdentifier = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    private static let revokedIdentifier = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
    private static let unknownIdentifier = ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)

    public init(derEncoded rootNode: ASN1Node) throws {
        switch rootNode.identifier {
        case Self.goodIdentifier:
            _ = try ASN1Null(derEncoded: rootNode, withIdentifier: Self.goodIdentifier)
            self = .good
        case Self.revokedIdentifier:
            self = .revoked(try RevokedInfo(derEncoded: rootNode, withIdentifier: Self.revokedIdentifier))
        case Self.unknownIdentifier:
            _ = try ASN1Null(derEncoded: rootNode, withIdentifier: Self.unknownIdentifier)
            self = .unknown
        default:
            throw WireError.malformed("Expected CertStatus good [0], revoked [1] or unknown [2], got \(rootNode.identifier)")
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .good: ASN1Null().serialize(into: &coder, withIdentifier: Self.goodIdentifier)
        case .revoked(let info): try info.serialize(into: &coder, withIdentifier: Self.revokedIdentifier)
        case .unknown: ASN1Null().serialize(into: &coder, withIdentifier: Self.unknownIdentifier)
        }
    }
}
