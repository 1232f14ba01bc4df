import SwiftASN1

/// The outcome of a time-stamp request (RFC 3161 §2.4.2, from RFC 4210 / CMP).
///
/// ```
/// PKIStatus ::= INTEGER {
///    granted                (0),
///    -- when the PKIStatus contains the value zero a TimeStampToken, as
///       requested, is present.
///    grantedWithMods        (1),
///     -- when the PKIStatus contains the value one a TimeStampToken,
///       with modifications, is present.
///    rejection              (2),
///    waiting                (3),
///    revocationWarning      (4),
///     -- this message contains a warning that a revocation is
///     -- imminent
///    revocationNotification (5)
///     -- notification that a revocation has occurred   }
/// ```
public enum PKIStatus: Int, Hashable, Sendable, CaseIterable, DERImplicitlyTaggable {
    case granted = 0
    case grantedWithMods = 1
    case rejection = 2
    case waiting = 3
    case revocationWarning = 4
    case revocationNotification = 5

    public static var defaultIdentifier: ASN1Identifier { .integer }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let value = try Int(derEncoded: rootNode, withIdentifier: identifier)
        guard let status = PKIStatus(rawValue: value) else {
            throw WireError.malformed("Expected a PKIStatus of RFC 3161 §2.4.2 (0–5), got \(value)")
        }
        self = status
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try rawValue.serialize(into: &coder, withIdentifier: identifier)
    }
}
