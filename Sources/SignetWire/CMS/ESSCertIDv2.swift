import SwiftASN1
import X509

/// Binds a signer's certificate into its signature by hash (RFC 5035 §4), so the certificate
/// cannot be substituted; RFC 5816 lets time-stamp tokens use it with SHA-256.
///
/// ```
/// ESSCertIDv2 ::=  SEQUENCE {
///     hashAlgorithm           AlgorithmIdentifier
///                    DEFAULT {algorithm id-sha256},
///     certHash                 Hash,
///     issuerSerial             IssuerSerial OPTIONAL }
///
/// Hash ::= OCTET STRING
/// ```
/// certHash is the hash of the whole certificate DER; SignetWire does not hash, the caller does.
public struct ESSCertIDv2: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let hashAlgorithm: AlgorithmIdentifier
    public let certHash: [UInt8]
    public let issuerSerial: IssuerSerial?

    /// Throws `.invariant` when certHash's length does not fit a known hashAlgorithm.
    public init(hashAlgorithm: AlgorithmIdentifier = .sha256, certHash: [UInt8], issuerSerial: IssuerSerial?) throws {
        if let expected = MessageImprint.digestLength(of: hashAlgorithm), expected != certHash.count {
            throw WireError.invariant("Expected a \(expected)-octet certHash for \(hashAlgorithm.algorithm), got \(certHash.count) octets")
        }
        self.hashAlgorithm = hashAlgorithm
        self.certHash = certHash
        self.issuerSerial = issuerSerial
    }

    /// Identifies `certificate`, whose DER hashed with `hashAlgorithm` is `certHash`.
    public init(certificate: Certificate, hashAlgorithm: AlgorithmIdentifier = .sha256, certHash: [UInt8]) throws {
        try self.init(hashAlgorithm: hashAlgorithm, certHash: certHash, issuerSerial: IssuerSerial(certificate: certificate))
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            var algorithm = AlgorithmIdentifier.sha256
            var lookahead = nodes
            if let node = lookahead.next(), node.identifier == .sequence {
                algorithm = try AlgorithmIdentifier(derEncoded: node)
                nodes = lookahead
            }
            let hash = try ASN1OctetString(derEncoded: &nodes)
            let issuerSerial = try DER.optionalImplicitlyTagged(&nodes, tag: .sequence) as IssuerSerial?
            do {
                return try ESSCertIDv2(hashAlgorithm: algorithm, certHash: Array(hash.bytes), issuerSerial: issuerSerial)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            // DEFAULT {algorithm id-sha256}: omitted when SHA-256 (X.690 §11.5).
            if !hashAlgorithm.matches(.sha256) {
                try coder.serialize(hashAlgorithm)
            }
            try coder.serialize(ASN1OctetString(contentBytes: certHash[...]))
            if let issuerSerial { try coder.serialize(issuerSerial) }
        }
    }
}
