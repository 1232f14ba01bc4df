import SwiftASN1

/// The parameters of PBES2 (RFC 8018 Appendix A.4): which key derivation and which cipher protect a
/// PKCS #12 shrouded key bag.
///
/// ```
/// PBES2-params ::= SEQUENCE {
///     keyDerivationFunc AlgorithmIdentifier {{PBES2-KDFs}},
///     encryptionScheme AlgorithmIdentifier {{PBES2-Encs}} }
/// ```
/// Signet writes PBKDF2 with hmacWithSHA256 and aes256-CBC-PAD, whose parameter is the 16-octet IV.
public struct PBES2Parameters: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let keyDerivationFunc: AlgorithmIdentifier
    public let encryptionScheme: AlgorithmIdentifier

    public init(keyDerivationFunc: AlgorithmIdentifier, encryptionScheme: AlgorithmIdentifier) {
        self.keyDerivationFunc = keyDerivationFunc
        self.encryptionScheme = encryptionScheme
    }

    /// PBKDF2 with `kdf` and AES-256-CBC with `iv`.
    public init(pbkdf2 kdf: PBKDF2Parameters, aes256CBCWithIV iv: [UInt8]) throws {
        guard iv.count == 16 else { throw WireError.invariant("Expected a 16-octet AES-CBC IV, got \(iv.count)") }
        self.init(
            keyDerivationFunc: AlgorithmIdentifier(algorithm: .PKCS12.pbkdf2, parameters: try ASN1Any(erasing: kdf)),
            encryptionScheme: AlgorithmIdentifier(algorithm: .PKCS12.aes256CBC, parameters: try ASN1Any(erasing: ASN1OctetString(contentBytes: iv[...]))))
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            PBES2Parameters(keyDerivationFunc: try AlgorithmIdentifier(derEncoded: &nodes), encryptionScheme: try AlgorithmIdentifier(derEncoded: &nodes))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(keyDerivationFunc)
            try coder.serialize(encryptionScheme)
        }
    }
}
