import SwiftASN1

/// Why a certificate was revoked. CRL entries carry it in the reasonCode extension and OCSP in
/// `RevokedInfo.revocationReason`, so both protocols share this one type (RFC 5280 §5.3.1).
///
/// ```
/// CRLReason ::= ENUMERATED {
///      unspecified             (0),
///      keyCompromise           (1),
///      cACompromise            (2),
///      affiliationChanged      (3),
///      superseded              (4),
///      cessationOfOperation    (5),
///      certificateHold         (6),
///           -- value 7 is not used
///      removeFromCRL           (8),
///      privilegeWithdrawn      (9),
///      aACompromise           (10) }
/// ```
public enum CRLReason: Int, Hashable, Sendable, CaseIterable, Codable, DERImplicitlyTaggable {
    case unspecified = 0
    case keyCompromise = 1
    case cACompromise = 2
    case affiliationChanged = 3
    case superseded = 4
    case cessationOfOperation = 5
    case certificateHold = 6
    case removeFromCRL = 8
    case privilegeWithdrawn = 9
    case aACompromise = 10

    public static var defaultIdentifier: ASN1Identifier { .enumerated }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let value = try Int(derEncoded: rootNode, withIdentifier: identifier)
        guard let reason = CRLReason(rawValue: value) else {
            throw WireError.malformed("Expected a CRLReason of RFC 5280 §5.3.1 (0–6, 8–10), got \(value)")
        }
        self = reason
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try rawValue.serialize(into: &coder, withIdentifier: identifier)
    }
}
