import SwiftASN1
import X509

/// The CRL distribution points extension (RFC 5280 §4.2.1.13), which swift-certificates does not
/// provide. Signet only writes full-name URIs, one per distribution point:
///
/// ```
/// CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
/// DistributionPoint ::= SEQUENCE {
///      distributionPoint       [0]     DistributionPointName OPTIONAL,
///      reasons                 [1]     ReasonFlags OPTIONAL,
///      cRLIssuer               [2]     GeneralNames OPTIONAL }
/// DistributionPointName ::= CHOICE {
///      fullName                [0]     GeneralNames,
///      nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
/// ```
public struct CRLDistributionPoints: Hashable, Sendable, DERImplicitlyTaggable {
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 31]
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// One URI per distribution point.
    public var uris: [String]

    public init(uris: [String]) throws {
        guard !uris.isEmpty else { throw WireError.invariant("Expected at least one CRL distribution point URI, got none") }
        self.uris = uris
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        var uris: [String] = []
        for point in try DERNodes.children(of: rootNode, identifier: identifier) {
            for field in try DERNodes.children(of: point, identifier: .sequence) where field.identifier == DERNodes.contextTag(0) {
                for name in try DERNodes.children(of: field, identifier: DERNodes.contextTag(0)) where name.identifier == DERNodes.contextTag(0) {
                    for general in try DERNodes.children(of: name, identifier: DERNodes.contextTag(0)) {
                        if case .uniformResourceIdentifier(let uri) = try GeneralName(derEncoded: general) { uris.append(uri) }
                    }
                }
            }
        }
        self.uris = uris
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            for uri in uris {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                        try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                            try coder.serialize(GeneralName.uniformResourceIdentifier(uri))
                        }
                    }
                }
            }
        }
    }

    /// As a (non-critical) certificate extension.
    public func makeExtension() throws -> Certificate.Extension {
        Certificate.Extension(oid: Self.oid, critical: false, value: try self.derBytes()[...])
    }
}
