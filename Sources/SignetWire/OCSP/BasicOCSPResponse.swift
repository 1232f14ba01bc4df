import SwiftASN1
import X509

/// The signed body of a successful OCSP response (RFC 6960 §4.2.1). Signet signs the
/// ResponseData DER in its HSM and assembles this from those bytes and the signature.
///
/// ```
/// BasicOCSPResponse       ::= SEQUENCE {
///    tbsResponseData      ResponseData,
///    signatureAlgorithm   AlgorithmIdentifier,
///    signature            BIT STRING,
///    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
public struct BasicOCSPResponse: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let tbsResponseData: ResponseData
    /// The exact bytes the signature covers.
    public let tbsResponseDataBytes: [UInt8]
    public let signatureAlgorithm: AlgorithmIdentifier
    /// The signature value (DER Ecdsa-Sig-Value or the PKCS#1 v1.5 block).
    public let signature: [UInt8]
    /// Certificates that help verify the signature, such as a delegated responder's certificate
    /// (RFC 6960 §4.2.2.2); empty when absent.
    public let certs: [Certificate]

    /// From the ResponseData DER that was signed (parsed here, so a mismatched blob is caught).
    public init(tbsResponseData: [UInt8], signatureAlgorithm: AlgorithmIdentifier, signature: [UInt8], certs: [Certificate] = []) throws {
        self.tbsResponseData = try ResponseData(derEncoded: tbsResponseData)
        self.tbsResponseDataBytes = tbsResponseData
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
        self.certs = certs
    }

    /// From a ResponseData whose DER (``ResponseData/derBytes()``) was signed.
    public init(tbsResponseData: ResponseData, signatureAlgorithm: AlgorithmIdentifier, signature: [UInt8], certs: [Certificate] = []) throws {
        self.tbsResponseData = tbsResponseData
        self.tbsResponseDataBytes = try tbsResponseData.derBytes()
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
        self.certs = certs
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let tbsNode = try DERPrimitives.next(&nodes, expecting: "tbsResponseData")
            let tbs = try ResponseData(derEncoded: tbsNode)
            let algorithm = try AlgorithmIdentifier(derEncoded: &nodes)
            let value = try ASN1BitString(derEncoded: &nodes)
            guard value.paddingBits == 0 else {
                throw WireError.malformed("Expected a signature of whole octets, got \(value.paddingBits) unused bits")
            }
            let certs = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try DER.sequence(of: Certificate.self, identifier: .sequence, rootNode: $0)
            }
            return try BasicOCSPResponse(
                tbs: tbs, bytes: Array(tbsNode.encodedBytes), algorithm: algorithm, signature: Array(value.bytes),
                certs: certs ?? [])
        }
    }

    private init(tbs: ResponseData, bytes: [UInt8], algorithm: AlgorithmIdentifier, signature: [UInt8], certs: [Certificate]) throws {
        self.tbsResponseData = tbs
        self.tbsResponseDataBytes = bytes
        self.signatureAlgorithm = algorithm
        self.signature = signature
        self.certs = certs
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            coder.serializeRawBytes(tbsResponseDataBytes)
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
            if !certs.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                    try coder.serializeSequenceOf(certs)
                }
            }
        }
    }
}
