import SwiftASN1

/// What an OCSP responder sends back (RFC 6960 §4.2.1): a status and, only when successful, the
/// signed basic response.
///
/// ```
/// OCSPResponse ::= SEQUENCE {
///    responseStatus         OCSPResponseStatus,
///    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
/// ```
public struct OCSPResponse: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let responseStatus: OCSPResponseStatus
    public let responseBytes: ResponseBytes?

    /// Throws `.invariant` unless responseBytes is present exactly when the status is successful.
    public init(responseStatus: OCSPResponseStatus, responseBytes: ResponseBytes?) throws {
        // RFC 6960 §4.2.1: responseBytes accompany a successful status and only a successful status.
        guard (responseStatus == .successful) == (responseBytes != nil) else {
            throw WireError.invariant("Expected responseBytes exactly when responseStatus is successful (RFC 6960 §4.2.1), got status \(responseStatus) with\(responseBytes == nil ? "out" : "") responseBytes")
        }
        self.responseStatus = responseStatus
        self.responseBytes = responseBytes
    }

    /// A successful response carrying `basicResponse` as id-pkix-ocsp-basic.
    public init(basicResponse: BasicOCSPResponse) throws {
        try self.init(responseStatus: .successful, responseBytes: ResponseBytes(basicResponse: basicResponse))
    }

    /// An error response: the status alone, unsigned (RFC 6960 §2.3).
    public static func unsuccessful(_ status: OCSPResponseStatus) throws -> OCSPResponse {
        try OCSPResponse(responseStatus: status, responseBytes: nil)
    }

    /// The basic response inside a successful response; nil for error responses.
    public func basicResponse() throws -> BasicOCSPResponse? {
        guard let responseBytes else { return nil }
        guard responseBytes.responseType == .OCSPObjectID.basicResponse else {
            throw WireError.unsupported("Expected responseType id-pkix-ocsp-basic, got \(responseBytes.responseType)")
        }
        return try BasicOCSPResponse(derEncoded: responseBytes.response)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let status = try OCSPResponseStatus(derEncoded: &nodes)
            let bytes = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try ResponseBytes(derEncoded: $0)
            }
            do {
                return try OCSPResponse(responseStatus: status, responseBytes: bytes)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(responseStatus)
            if let responseBytes {
                try coder.serialize(responseBytes, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
        }
    }
}
