import SwiftASN1

/// The parameters of PBKDF2 (RFC 8018 Appendix A.2), the key derivation inside PBES2.
///
/// ```
/// PBKDF2-params ::= SEQUENCE {
///     salt CHOICE {
///         specified OCTET STRING,
///         otherSource AlgorithmIdentifier {{PBKDF2-SaltSources}}
///     },
///     iterationCount INTEGER (1..MAX),
///     keyLength INTEGER (1..MAX) OPTIONAL,
///     prf AlgorithmIdentifier {{PBKDF2-PRFs}} DEFAULT algid-hmacWithSHA1 }
/// ```
/// Signet writes a specified salt, no keyLength (the cipher fixes it) and hmacWithSHA256 as prf.
public struct PBKDF2Parameters: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let salt: [UInt8]
    public let iterationCount: Int
    public let keyLength: Int?
    /// nil means the default, hmacWithSHA1.
    public let prf: AlgorithmIdentifier?

    public init(salt: [UInt8], iterationCount: Int, keyLength: Int? = nil, prf: AlgorithmIdentifier?) throws {
        guard !salt.isEmpty, iterationCount >= 1, keyLength.map({ $0 >= 1 }) ?? true else {
            throw WireError.invariant("PBKDF2-params needs a salt, an iterationCount of at least 1 and a positive keyLength (RFC 8018 A.2)")
        }
        self.salt = salt
        self.iterationCount = iterationCount
        self.keyLength = keyLength
        self.prf = prf
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let salt = try ASN1OctetString(derEncoded: &nodes)
            let iterations = try Int(derEncoded: &nodes)
            var keyLength: Int? = nil
            var prf: AlgorithmIdentifier? = nil
            if let node = nodes.next() {
                if node.identifier == .integer {
                    keyLength = try Int(derEncoded: node)
                    prf = try nodes.next().map { try AlgorithmIdentifier(derEncoded: $0) }
                } else {
                    prf = try AlgorithmIdentifier(derEncoded: node)
                }
            }
            return try PBKDF2Parameters(salt: Array(salt.bytes), iterationCount: iterations, keyLength: keyLength, prf: prf)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(ASN1OctetString(contentBytes: salt[...]))
            try coder.serialize(iterationCount)
            if let keyLength { try coder.serialize(keyLength) }
            if let prf { try coder.serialize(prf) }
        }
    }
}
