import SwiftASN1

/// An OCSP request as received over HTTP (RFC 6960 §4.1.1, RFC 5019 §2.1). Signet does not require
/// signed requests: a signature, if present, is accepted and ignored.
///
/// ```
/// OCSPRequest     ::=     SEQUENCE {
///     tbsRequest                  TBSRequest,
///     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
///
/// Signature       ::=     SEQUENCE {
///     signatureAlgorithm      AlgorithmIdentifier,
///     signature               BIT STRING,
///     certs               [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
/// Parsing hostile bytes throws (`WireError` or swift-asn1's `ASN1Error`), never traps.
public struct OCSPRequest: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let tbsRequest: TBSRequest
    /// Whether the client signed the request; the signature is not checked.
    public let isSigned: Bool

    /// An unsigned request (as clients, and tests, build them).
    public init(tbsRequest: TBSRequest) {
        self.tbsRequest = tbsRequest
        self.isSigned = false
    }

    /// Parses a request from its DER, refusing one with more than `maximumRequests` Requests.
    public init(derEncoded bytes: [UInt8], maximumRequests: Int) throws {
        try self.init(derEncoded: DER.parse(bytes), withIdentifier: Self.defaultIdentifier, maximumRequests: maximumRequests)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        try self.init(derEncoded: rootNode, withIdentifier: identifier, maximumRequests: TBSRequest.defaultMaximumRequests)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier, maximumRequests: Int) throws {
        (self.tbsRequest, self.isSigned) = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let tbs = try TBSRequest(
                derEncoded: DERPrimitives.next(&nodes, expecting: "tbsRequest"), maximumRequests: maximumRequests)
            let signature = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                guard node.identifier == .sequence else {
                    throw WireError.malformed("Expected optionalSignature to hold a Signature SEQUENCE, got \(node.identifier)")
                }
                return node
            }
            return (tbs, signature != nil)
        }
    }

    /// Writes the request unsigned.
    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(tbsRequest)
        }
    }
}
