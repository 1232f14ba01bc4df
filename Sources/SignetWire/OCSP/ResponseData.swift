import Foundation
import SwiftASN1
import X509

/// The to-be-signed part of a basic OCSP response (RFC 6960 §4.2.1): the bytes Signet's HSM
/// key signs.
///
/// ```
/// ResponseData ::= SEQUENCE {
///    version              [0] EXPLICIT Version DEFAULT v1,
///    responderID              ResponderID,
///    producedAt               GeneralizedTime,
///    responses                SEQUENCE OF SingleResponse,
///    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
/// version is always v1 and so, being the DEFAULT, never written (X.690 §11.5). producedAt is
/// whole seconds (RFC 5019 §2.2.4).
public struct ResponseData: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let responderID: ResponderID
    public let producedAt: Date
    public let responses: [SingleResponse]
    /// Empty when absent; holds the nonce echo (``OCSPNonce/makeExtension(echoing:)``).
    public let responseExtensions: [Certificate.Extension]

    /// Throws `.invariant` with no responses or a repeated extension; producedAt is truncated to whole seconds.
    public init(
        responderID: ResponderID, producedAt: Date, responses: [SingleResponse],
        responseExtensions: [Certificate.Extension] = []
    ) throws {
        guard !responses.isEmpty else {
            throw WireError.invariant("Expected at least one SingleResponse, got none")
        }
        try Extensions.checkUnique(responseExtensions)
        self.responderID = responderID
        self.producedAt = try UTCComponents(wholeSecondsOf: producedAt).date
        self.responses = responses
        self.responseExtensions = responseExtensions
    }

    /// The echoed nonce extnValue, if any.
    public var nonce: [UInt8]? { OCSPNonce.find(in: responseExtensions) }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try Int(derEncoded: $0)
            } ?? 0
            guard version == 0 else {
                throw WireError.unsupported("Expected OCSP response version v1 (0), got \(version)")
            }
            let responderID = try ResponderID(derEncoded: &nodes)
            let producedAt = Date(try GeneralizedTime(derEncoded: &nodes))
            let responses = try DER.sequence(of: SingleResponse.self, identifier: .sequence, nodes: &nodes)
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try Extensions.parse($0)
            }
            do {
                return try ResponseData(
                    responderID: responderID, producedAt: producedAt, responses: responses,
                    responseExtensions: extensions ?? [])
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(responderID)
            try coder.serialize(GeneralizedTime(wholeSecondsOf: producedAt))
            try coder.serializeSequenceOf(responses)
            if !responseExtensions.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { coder in
                    try Extensions.serialize(responseExtensions, into: &coder)
                }
            }
        }
    }
}
