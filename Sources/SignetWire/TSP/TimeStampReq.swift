import SwiftASN1
import X509

/// A request for a time-stamp token (RFC 3161 §2.4.1), as received over HTTP (§3.4).
///
/// ```
/// TimeStampReq ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    messageImprint               MessageImprint,
///      --a hash algorithm OID and the hash value of the data to be
///      --time-stamped
///    reqPolicy             TSAPolicyId              OPTIONAL,
///    nonce                 INTEGER                  OPTIONAL,
///    certReq               BOOLEAN                  DEFAULT FALSE,
///    extensions            [0] IMPLICIT Extensions  OPTIONAL  }
///
/// TSAPolicyId ::= OBJECT IDENTIFIER
/// ```
/// Parsing hostile bytes throws (`WireError` or swift-asn1's `ASN1Error`), never traps. An explicit
/// `certReq FALSE`, which DER forbids but some clients send, is accepted.
public struct TimeStampReq: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let messageImprint: MessageImprint
    public let reqPolicy: ASN1ObjectIdentifier?
    /// Big-endian magnitude, no leading zero octets; to be copied into the TSTInfo. Clients may
    /// send 160 bits or more (RFC 3161 §2.4.2 asks for at least 64 bits of room).
    public let nonce: [UInt8]?
    /// Whether the TSA's certificate must be in the token (RFC 3161 §2.4.1).
    public let certReq: Bool
    /// Empty when absent.
    public let extensions: [Certificate.Extension]

    /// Throws `.invariant` if an extension repeats; the nonce's leading zero octets are dropped.
    public init(
        messageImprint: MessageImprint, reqPolicy: ASN1ObjectIdentifier? = nil, nonce: [UInt8]? = nil, certReq: Bool = false,
        extensions: [Certificate.Extension] = []
    ) throws {
        try Extensions.checkUnique(extensions)
        self.messageImprint = messageImprint
        self.reqPolicy = reqPolicy
        self.nonce = nonce.map { DERPrimitives.magnitude($0) }
        self.certReq = certReq
        self.extensions = extensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            // RFC 3161 §2.4.1: version v1(1); anything else is a request this TSA cannot read.
            let version = try Int(derEncoded: &nodes)
            guard version == 1 else {
                throw WireError.malformed("Expected TimeStampReq version 1 (RFC 3161 §2.4.1), got \(version)")
            }
            let imprint = try MessageImprint(derEncoded: &nodes)
            var reqPolicy: ASN1ObjectIdentifier?
            var nonce: [UInt8]?
            var certReq = false
            var lookahead = nodes
            if let node = lookahead.next(), node.identifier == .objectIdentifier {
                reqPolicy = try ASN1ObjectIdentifier(derEncoded: node)
                nodes = lookahead
            }
            lookahead = nodes
            if let node = lookahead.next(), node.identifier == .integer {
                nonce = Array(try ArraySlice<UInt8>(derEncoded: node))
                nodes = lookahead
            }
            lookahead = nodes
            if let node = lookahead.next(), node.identifier == .boolean {
                certReq = try Bool(derEncoded: node)
                nodes = lookahead
            }
            let extensions = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try Extensions.parse($0, identifier: DERNodes.contextTag(0))
            }
            return try TimeStampReq(
                messageImprint: imprint, reqPolicy: reqPolicy, nonce: nonce, certReq: certReq,
                extensions: extensions ?? [])
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(1)
            try coder.serialize(messageImprint)
            if let reqPolicy { try coder.serialize(reqPolicy) }
            if let nonce { try coder.serialize(nonce[...]) }
            if certReq { try coder.serialize(true) }  // DEFAULT FALSE is not written (X.690 §11.5)
            try Extensions.serialize(extensions, identifier: DERNodes.contextTag(0), into: &coder)
        }
    }
}
