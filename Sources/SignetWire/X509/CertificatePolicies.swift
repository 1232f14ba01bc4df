import SwiftASN1
import X509

/// The certificate policies extension (RFC 5280 §4.2.1.4), which swift-certificates does not
/// provide. Signet writes policy identifiers without qualifiers:
///
/// ```
/// certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
/// PolicyInformation ::= SEQUENCE {
///      policyIdentifier   CertPolicyId,
///      policyQualifiers   SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
/// CertPolicyId ::= OBJECT IDENTIFIER
/// ```
public struct CertificatePolicies: Hashable, Sendable, DERImplicitlyTaggable {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 32]
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var policies: [ASN1ObjectIdentifier]

    public init(policies: [ASN1ObjectIdentifier]) throws {
        guard !policies.isEmpty else { throw WireError.invariant("Expected at least one certificate policy (RFC 5280 §4.2.1.4), got none") }
        self.policies = policies
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.policies = try DERNodes.children(of: rootNode, identifier: identifier).map { info in
            try DER.sequence(info, identifier: .sequence) { nodes in
                let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
                _ = nodes.next()  // qualifiers are ignored
                return oid
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            for policy in policies {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(policy)
                }
            }
        }
    }

    /// As a non-critical certificate extension.
    public func makeExtension() throws -> Certificate.Extension {
        Certificate.Extension(oid: Self.oid, critical: false, value: try self.derBytes()[...])
    }
}
