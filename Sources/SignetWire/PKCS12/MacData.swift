import SwiftASN1

/// The password integrity check of a PFX (RFC 7292 §4): an HMAC over the AuthenticatedSafe's octets,
/// keyed by the PKCS #12 key derivation (``PKCS12KeyDerivation``) from the password, this salt and
/// this iteration count.
///
/// ```
/// MacData ::= SEQUENCE {
///     mac        DigestInfo,
///     macSalt    OCTET STRING,
///     iterations INTEGER DEFAULT 1 }
///
/// DigestInfo ::= SEQUENCE {
///     digestAlgorithm DigestAlgorithmIdentifier,
///     digest          Digest }
/// ```
/// DER omits `iterations` when it is the default, 1 (X.690 §11.5).
public struct MacData: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let digestAlgorithm: AlgorithmIdentifier
    public let digest: [UInt8]
    public let macSalt: [UInt8]
    public let iterations: Int

    public init(digestAlgorithm: AlgorithmIdentifier, digest: [UInt8], macSalt: [UInt8], iterations: Int) throws {
        guard iterations >= 1, !macSalt.isEmpty else { throw WireError.invariant("MacData needs a salt and at least one iteration (RFC 7292 §4)") }
        self.digestAlgorithm = digestAlgorithm
        self.digest = digest
        self.macSalt = macSalt
        self.iterations = iterations
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            guard let digestInfo = nodes.next() else { throw WireError.malformed("Expected MacData to start with a DigestInfo") }
            let (algorithm, digest) = try DER.sequence(digestInfo, identifier: .sequence) { info in
                (try AlgorithmIdentifier(derEncoded: &info), Array(try ASN1OctetString(derEncoded: &info).bytes))
            }
            let salt = try ASN1OctetString(derEncoded: &nodes)
            let iterations = try DER.decodeDefault(&nodes, identifier: .integer, defaultValue: 1) { try Int(derEncoded: $0) }
            return try MacData(digestAlgorithm: algorithm, digest: digest, macSalt: Array(salt.bytes), iterations: iterations)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(digestAlgorithm)
                try coder.serialize(ASN1OctetString(contentBytes: digest[...]))
            }
            try coder.serialize(ASN1OctetString(contentBytes: macSalt[...]))
            if iterations != 1 { try coder.serialize(iterations) }
        }
    }
}
