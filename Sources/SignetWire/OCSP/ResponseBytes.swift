import SwiftASN1

/// The typed, DER-wrapped body of a successful OCSP response (RFC 6960 §4.2.1). Signet writes
/// only id-pkix-ocsp-basic.
///
/// ```
/// ResponseBytes ::=       SEQUENCE {
///     responseType   OBJECT IDENTIFIER,
///     response       OCTET STRING }
/// ```
public struct ResponseBytes: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let responseType: ASN1ObjectIdentifier
    /// The DER of the response (a `BasicOCSPResponse` for id-pkix-ocsp-basic).
    public let response: [UInt8]

    /// Any response type; Signet writes only id-pkix-ocsp-basic (``init(basicResponse:)``).
    public init(responseType: ASN1ObjectIdentifier, response: [UInt8]) {
        self.responseType = responseType
        self.response = response
    }

    /// id-pkix-ocsp-basic carrying `basicResponse`.
    public init(basicResponse: BasicOCSPResponse) throws {
        self.init(responseType: .OCSPObjectID.basicResponse, response: try basicResponse.derBytes())
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let response = try ASN1OctetString(derEncoded: &nodes)
            return ResponseBytes(responseType: type, response: Array(response.bytes))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(responseType)
            try coder.serialize(ASN1OctetString(contentBytes: response[...]))
        }
    }
}
