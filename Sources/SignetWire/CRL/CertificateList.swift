import SwiftASN1
import X509

/// A signed CRL (RFC 5280 §5.1.1). Signet signs the TBSCertList DER in its HSM and assembles the
/// result with ``assemble(tbsCertList:signatureAlgorithm:signature:)`` without re-parsing the
/// (possibly very large) TBS; parsing is for verification and tests.
///
/// ```
/// CertificateList  ::=  SEQUENCE  {
///      tbsCertList          TBSCertList,
///      signatureAlgorithm   AlgorithmIdentifier,
///      signatureValue       BIT STRING  }
/// ```
public struct CertificateList: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let tbsCertList: TBSCertList
    /// The exact bytes the signature covers.
    public let tbsCertListBytes: [UInt8]
    public let signatureAlgorithm: AlgorithmIdentifier
    /// The signature value (DER Ecdsa-Sig-Value or the PKCS#1 v1.5 block).
    public let signature: [UInt8]

    /// Signs nothing: encodes `tbsCertList` and pairs it with a signature already made over that encoding.
    public init(tbsCertList: TBSCertList, signatureAlgorithm: AlgorithmIdentifier, signature: [UInt8]) throws {
        // RFC 5280 §5.1.1.2: signatureAlgorithm MUST equal the signature field of tbsCertList.
        guard tbsCertList.signature == signatureAlgorithm else {
            throw WireError.invariant("Expected signatureAlgorithm \(tbsCertList.signature.algorithm) as in tbsCertList (RFC 5280 §5.1.1.2), got \(signatureAlgorithm.algorithm)")
        }
        self.tbsCertList = tbsCertList
        self.tbsCertListBytes = try tbsCertList.derBytes()
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            guard let tbsNode = nodes.next() else {
                throw WireError.malformed("Expected tbsCertList, got end of CertificateList")
            }
            let tbs = try TBSCertList(derEncoded: tbsNode)
            let algorithm = try AlgorithmIdentifier(derEncoded: &nodes)
            let value = try ASN1BitString(derEncoded: &nodes)
            guard value.paddingBits == 0 else {
                throw WireError.malformed("Expected a signature of whole octets, got \(value.paddingBits) unused bits")
            }
            // RFC 5280 §5.1.1.2 (read leniently: NULL and absent parameters are alike, RFC 5754 §2).
            guard tbs.signature.matches(algorithm) else {
                throw WireError.malformed("Expected signatureAlgorithm \(tbs.signature.algorithm) as in tbsCertList, got \(algorithm.algorithm)")
            }
            return CertificateList(tbs: tbs, bytes: Array(tbsNode.encodedBytes), algorithm: algorithm, signature: Array(value.bytes))
        }
    }

    private init(tbs: TBSCertList, bytes: [UInt8], algorithm: AlgorithmIdentifier, signature: [UInt8]) {
        self.tbsCertList = tbs
        self.tbsCertListBytes = bytes
        self.signatureAlgorithm = algorithm
        self.signature = signature
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            coder.serializeRawBytes(tbsCertListBytes)
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
    }

    /// The DER of the signed CRL, from the TBSCertList DER that was signed, the algorithm and the
    /// signature value. The output is written once into a buffer of its exact size; the TBS is only
    /// read far enough to check its signature field against `signatureAlgorithm` (RFC 5280 §5.1.1.2).
    public static func assemble(
        tbsCertList: [UInt8], signatureAlgorithm: AlgorithmIdentifier, signature: [UInt8]
    ) throws -> [UInt8] {
        let bytes = tbsCertList[...]
        let outer = try DERPrimitives.readTLV(bytes, at: bytes.startIndex)
        guard outer.identifier == 0x30, outer.content.upperBound == bytes.endIndex else {
            throw WireError.malformed("Expected tbsCertList to be one DER SEQUENCE, got identifier \(outer.identifier) over \(outer.content.upperBound) of \(bytes.count) octets")
        }
        let version = try DERPrimitives.readTLV(bytes, at: outer.content.lowerBound)
        let algorithmStart = version.content.upperBound
        let algorithmTLV = try DERPrimitives.readTLV(bytes, at: algorithmStart)
        let inner = try AlgorithmIdentifier(derEncoded: bytes[algorithmStart..<algorithmTLV.content.upperBound])
        guard inner == signatureAlgorithm else {
            throw WireError.invariant("Expected signatureAlgorithm \(inner.algorithm) as in tbsCertList (RFC 5280 §5.1.1.2), got \(signatureAlgorithm.algorithm)")
        }

        let algorithm = try signatureAlgorithm.derBytes()
        let bitStringHeader = [0x03] + DERPrimitives.lengthOctets(signature.count + 1) + [0x00]
        let contentLength = tbsCertList.count + algorithm.count + bitStringHeader.count + signature.count
        let header = [0x30] + DERPrimitives.lengthOctets(contentLength)
        var output: [UInt8] = []
        output.reserveCapacity(header.count + contentLength)
        output += header
        output += tbsCertList
        output += algorithm
        output += bitStringHeader
        output += signature
        return output
    }
}
