import Foundation
import SwiftASN1

/// When, and optionally why, a certificate an OCSP response reports on was revoked (RFC 6960 §4.2.1).
///
/// ```
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
/// revocationTime is kept to whole seconds (RFC 5019 §2.2.4 profiles OCSP times without fractions).
public struct RevokedInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let revocationTime: Date
    public let revocationReason: CRLReason?

    /// revocationTime is truncated to whole seconds.
    public init(revocationTime: Date, revocationReason: CRLReason? = nil) throws {
        self.revocationTime = try UTCComponents(wholeSecondsOf: revocationTime).date
        self.revocationReason = revocationReason
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let time = Date(try GeneralizedTime(derEncoded: &nodes))
            let reason = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try CRLReason(derEncoded: $0)
            }
            return try RevokedInfo(revocationTime: time, revocationReason: reason)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(GeneralizedTime(wholeSecondsOf: revocationTime))
            if let revocationReason {
                try coder.serialize(revocationReason, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
        }
    }
}
