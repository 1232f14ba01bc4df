import SwiftASN1

/// A PKCS #12 keystore (RFC 7292 §4), the `.p12` file `jarsigner`, `keytool`, `signtool` and
/// `openssl pkcs12` read. Signet writes password-integrity mode: the AuthenticatedSafe is carried as
/// id-data and protected by ``MacData``; the private key inside is encrypted on its own (a
/// pkcs8ShroudedKeyBag).
///
/// ```
/// PFX ::= SEQUENCE {
///     version    INTEGER {v3(3)}(v3,...),
///     authSafe   ContentInfo,
///     macData    MacData OPTIONAL }
///
/// AuthenticatedSafe ::= SEQUENCE OF ContentInfo
///     -- Data if unencrypted
///     -- EncryptedData if password-encrypted
///     -- EnvelopedData if public key-encrypted
/// ```
public struct PFX: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The DER of the AuthenticatedSafe: the octets the MAC covers (RFC 7292 §5.1).
    public let authenticatedSafe: [UInt8]
    public let macData: MacData?

    public init(authenticatedSafe: [UInt8], macData: MacData?) {
        self.authenticatedSafe = authenticatedSafe
        self.macData = macData
    }

    /// The AuthenticatedSafe's ContentInfos, each of them id-data holding a DER SafeContents (the only
    /// kind Signet writes); any other content type is refused by name.
    public func safeContents() throws -> [[SafeBag]] {
        try DER.sequence(of: ContentInfo.self, identifier: .sequence, rootNode: try DER.parse(authenticatedSafe)).map { info in
            guard info.contentType == .CMSContentType.data else {
                throw WireError.unsupported("Expected id-data in the AuthenticatedSafe, got \(info.contentType) (encrypted safes are not read)")
            }
            let octets = try ASN1OctetString(asn1Any: info.content)
            return try DER.sequence(of: SafeBag.self, identifier: .sequence, rootNode: try DER.parse(octets.bytes))
        }
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try Int(derEncoded: &nodes)
            guard version == 3 else { throw WireError.unsupported("Expected PFX version 3, got \(version)") }
            let authSafe = try ContentInfo(derEncoded: &nodes)
            guard authSafe.contentType == .CMSContentType.data else {
                throw WireError.unsupported("Expected a password-integrity PFX (authSafe id-data), got \(authSafe.contentType)")
            }
            let octets = try ASN1OctetString(asn1Any: authSafe.content)
            let mac = try nodes.next().map { try MacData(derEncoded: $0) }
            return PFX(authenticatedSafe: Array(octets.bytes), macData: mac)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(3)
            try coder.serialize(ContentInfo(contentType: .CMSContentType.data,
                                            content: try ASN1Any(erasing: ASN1OctetString(contentBytes: authenticatedSafe[...]))))
            if let macData { try coder.serialize(macData) }
        }
    }
}
