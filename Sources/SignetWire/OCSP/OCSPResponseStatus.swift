import SwiftASN1

/// The outcome of an OCSP request (RFC 6960 §4.2.1). Anything but `successful` is sent without
/// responseBytes and unsigned, so protocol failures are answered in the protocol.
///
/// ```
/// OCSPResponseStatus ::= ENUMERATED {
///     successful            (0),  -- Response has valid confirmations
///     malformedRequest      (1),  -- Illegal confirmation request
///     internalError         (2),  -- Internal error in issuer
///     tryLater              (3),  -- Try again later
///                                 -- (4) is not used
///     sigRequired           (5),  -- Must sign the request
///     unauthorized          (6)   -- Request unauthorized
/// }
/// ```
public enum OCSPResponseStatus: Int, Hashable, Sendable, CaseIterable, DERImplicitlyTaggable {
    case successful = 0
    case malformedRequest = 1
    case internalError = 2
    case tryLater = 3
    case sigRequired = 5
    case unauthorized = 6

    public static var defaultIdentifier: ASN1Identifier { .enumerated }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let value = try Int(derEncoded: rootNode, withIdentifier: identifier)
        guard let status = OCSPResponseStatus(rawValue: value) else {
            throw WireError.malformed("Expected an OCSPResponseStatus of RFC 6960 §4.2.1 (0–3, 5, 6), got \(value)")
        }
        self = status
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try rawValue.serialize(into: &coder, withIdentifier: identifier)
    }
}
