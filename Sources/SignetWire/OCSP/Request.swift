import SwiftASN1
import X509

/// One certificate an OCSP client asks about (RFC 6960 §4.1.1).
///
/// ```
/// Request         ::=     SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
/// ```
public struct Request: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let reqCert: CertID
    /// Empty when absent.
    public let singleRequestExtensions: [Certificate.Extension]

    /// Throws `.invariant` if an extension repeats.
    public init(reqCert: CertID, singleRequestExtensions: [Certificate.Extension] = []) throws {
        try Extensions.checkUnique(singleRequestExtensions)
        self.reqCert = reqCert
        self.singleRequestExtensions = singleRequestExtensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let certID = try CertID(derEncoded: &nodes)
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try Extensions.parse($0)
            }
            return try Request(reqCert: certID, singleRequestExtensions: extensions ?? [])
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(reqCert)
            if !singleRequestExtensions.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                    try Extensions.serialize(singleRequestExtensions, into: &coder)
                }
            }
        }
    }
}
