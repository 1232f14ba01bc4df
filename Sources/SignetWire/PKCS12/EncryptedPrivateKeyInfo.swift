import SwiftASN1

/// A private key encrypted under a password (RFC 5958 §3), the value of a PKCS #12 pkcs8ShroudedKeyBag
/// (RFC 7292 §4.2.2).
///
/// ```
/// EncryptedPrivateKeyInfo ::= SEQUENCE {
///   encryptionAlgorithm  EncryptionAlgorithmIdentifier,
///   encryptedData        EncryptedData }
///
/// EncryptionAlgorithmIdentifier ::= AlgorithmIdentifier
/// EncryptedData ::= OCTET STRING
/// ```
public struct EncryptedPrivateKeyInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let encryptionAlgorithm: AlgorithmIdentifier
    public let encryptedData: [UInt8]

    public init(encryptionAlgorithm: AlgorithmIdentifier, encryptedData: [UInt8]) {
        self.encryptionAlgorithm = encryptionAlgorithm
        self.encryptedData = encryptedData
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            EncryptedPrivateKeyInfo(encryptionAlgorithm: try AlgorithmIdentifier(derEncoded: &nodes),
                                    encryptedData: Array(try ASN1OctetString(derEncoded: &nodes).bytes))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(encryptionAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: encryptedData[...]))
        }
    }
}
