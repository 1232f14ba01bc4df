import SwiftASN1

/// The hash of the data being time-stamped, as the client computed it (RFC 3161 §2.4.1). The TSA
/// copies it unchanged into the TSTInfo (§2.4.2).
///
/// ```
/// MessageImprint ::= SEQUENCE  {
///      hashAlgorithm                AlgorithmIdentifier,
///      hashedMessage                OCTET STRING  }
/// ```
/// For the hash algorithms Signet knows, the length of hashedMessage must match the algorithm
/// ("The hash algorithm indicated in the hashAlgorithm field SHOULD be a known hash algorithm";
/// a hash of the wrong length cannot be one). Deciding which algorithms to accept (`badAlg`) is policy.
public struct MessageImprint: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let hashAlgorithm: AlgorithmIdentifier
    public let hashedMessage: [UInt8]

    /// Throws `.invariant` when hashedMessage's length does not fit a known hashAlgorithm.
    public init(hashAlgorithm: AlgorithmIdentifier, hashedMessage: [UInt8]) throws {
        if let expected = Self.digestLength(of: hashAlgorithm), expected != hashedMessage.count {
            throw WireError.invariant("Expected a \(expected)-octet hashedMessage for \(hashAlgorithm.algorithm), got \(hashedMessage.count) octets")
        }
        self.hashAlgorithm = hashAlgorithm
        self.hashedMessage = hashedMessage
    }

    /// The digest length of the hash algorithms Signet knows, or nil.
    static func digestLength(of algorithm: AlgorithmIdentifier) -> Int? {
        switch algorithm.algorithm {
        case AlgorithmIdentifier.sha1.algorithm: 20
        case AlgorithmIdentifier.sha256.algorithm: 32
        case AlgorithmIdentifier.sha384.algorithm: 48
        case AlgorithmIdentifier.sha512.algorithm: 64
        default: nil
        }
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let algorithm = try AlgorithmIdentifier(derEncoded: &nodes)
            let hashed = try ASN1OctetString(derEncoded: &nodes)
            do {
                return try MessageImprint(hashAlgorithm: algorithm, hashedMessage: Array(hashed.bytes))
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(hashAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: hashedMessage[...]))
        }
    }
}
