import _CryptoExtras
import CPKCS11
import Crypto
import Foundation
@testable import SignetPKCS11
import SwiftASN1
import Testing
import X509

/// What the token shows for a listing: certificates taken apart exactly, and the objects built from
/// them, with a PKI made here by swift-certificates.
@Suite struct TokenContentsTests {
    struct PKI {
        let root: Certificate
        let issuing: Certificate
        let issuingKey: P256.Signing.PrivateKey

        static func make() throws -> PKI {
            let rootKey = P384.Signing.PrivateKey(), issuingKey = P256.Signing.PrivateKey()
            let now = Date()
            let rootName = try DistinguishedName { OrganizationName("Signet Test Signing"); CommonName("Signet Root CA") }
            let issuingName = try DistinguishedName { OrganizationName("Signet Test Signing"); CommonName("Signet Issuing CA 1") }
            let ca = try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1)); Critical(KeyUsage(keyCertSign: true, cRLSign: true)) }
            let root = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(rootKey.publicKey), notValidBefore: now - 60, notValidAfter: now + 86_400,
                                       issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA384, extensions: ca, issuerPrivateKey: .init(rootKey))
            let issuing = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(issuingKey.publicKey), notValidBefore: now - 60, notValidAfter: now + 86_400,
                                          issuer: rootName, subject: issuingName, signatureAlgorithm: .ecdsaWithSHA384, extensions: ca, issuerPrivateKey: .init(rootKey))
            return PKI(root: root, issuing: issuing, issuingKey: issuingKey)
        }

        func leaf(_ key: Certificate.PublicKey, release: String, serial: [UInt8] = [0x00, 0x9f, 0x01]) throws -> Certificate {
            let now = Date()
            return try Certificate(version: .v3, serialNumber: .init(bytes: serial[...]), publicKey: key, notValidBefore: now - 60, notValidAfter: now + 3_600,
                                   issuer: issuing.subject, subject: try DistinguishedName { OrganizationalUnitName("payments"); CommonName("release \(release)") },
                                   signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(), issuerPrivateKey: .init(issuingKey))
        }

        func listedKey(_ id: String, release: String, leaf: Certificate) throws -> KeyListing.Key {
            .init(keyID: id, release: release, team: "payments", algorithm: "ec-p256", serial: "9f01", certificate: try leaf.serializeAsPEM().pemString,
                  chain: [try issuing.serializeAsPEM().pemString, try root.serializeAsPEM().pemString])
        }
    }

    static func der(_ value: some DERSerializable) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(value)
        return serializer.serializedBytes
    }

    static func value(_ object: TokenObject?, _ type: CK_ULONG) -> [UInt8]? {
        guard case .value(let bytes)? = object?.lookup(CK_ATTRIBUTE_TYPE(type)) else { return nil }
        return bytes
    }

    @Test("a certificate's serial, issuer, subject and key are its own DER octets")
    func certificateFields() throws {
        let pki = try PKI.make()
        let key = P256.Signing.PrivateKey()
        let leaf = try pki.leaf(.init(key.publicKey), release: "v2.0.0")
        let fields = try CertificateFields(der: try Self.der(leaf))
        #expect(fields.serialNumber == [0x02, 0x03, 0x00, 0x9f, 0x01])
        #expect(fields.issuer == (try Self.der(pki.issuing.subject)))
        #expect(fields.subject == (try Self.der(leaf.subject)))
        #expect(fields.commonName == "release v2.0.0")
        #expect(fields.publicKey == .ec(curve: .p256, parameters: [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], point: Array(key.publicKey.x963Representation)))
        #expect(fields.subjectPublicKeyInfo == (try Self.der(leaf.publicKey)))

        let rootFields = try CertificateFields(der: try Self.der(pki.root))
        guard case .ec(let curve, let parameters, _) = rootFields.publicKey else { Issue.record("expected EC"); return }
        #expect(curve == .p384 && parameters == [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22])

        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let rsaFields = try CertificateFields(der: try Self.der(try pki.leaf(.init(rsa.publicKey), release: "r")))
        guard case .rsa(let modulus, let exponent) = rsaFields.publicKey else { Issue.record("expected RSA"); return }
        #expect(modulus.count == 256 && modulus[0] & 0x80 != 0 && exponent == [0x01, 0x00, 0x01] && rsaFields.publicKey.keySizeInBits == 2048)
        #expect(rsaFields.publicKey.signatureLength == 256)
    }

    @Test("a certificate that is not one, or a key Signet does not make, is refused; mutated DER never traps")
    func certificateRefusals() throws {
        #expect(throws: PKCS11ParseError.self) { try CertificateFields(der: []) }
        #expect(throws: PKCS11ParseError.self) { try CertificateFields(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        let pki = try PKI.make()
        let p521 = try pki.leaf(.init(P521.Signing.PrivateKey().publicKey), release: "x")
        #expect(throws: PKCS11ParseError.self) { try CertificateFields(der: try Self.der(p521)) }

        let valid = try Self.der(try pki.leaf(.init(P256.Signing.PrivateKey().publicKey), release: "v1"))
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        var parsed = 0
        for _ in 0..<2_000 {
            var der = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<der.count, using: &generator)
                if Bool.random(using: &generator) { der[index] = UInt8.random(in: 0...255, using: &generator) } else { der.remove(at: index) }
            }
            if (try? CertificateFields(der: der)) != nil { parsed += 1 }
        }
        #expect(parsed < 2_000, "seed \(seed): some mutations must be refused")
    }

    @Test("per key a private key, its public key and its certificate under the key id and release; each CA certificate once")
    func objects() throws {
        let pki = try PKI.make()
        let first = P256.Signing.PrivateKey(), second = P256.Signing.PrivateKey()
        let firstLeaf = try pki.leaf(.init(first.publicKey), release: "v1.0.0"), secondLeaf = try pki.leaf(.init(second.publicKey), release: "v2.0.0", serial: [0x44])
        let broken = KeyListing.Key(keyID: "cc", release: "v3", team: "payments", algorithm: "ec-p256", serial: "1", certificate: "not PEM", chain: [])
        let contents = TokenContents(listing: KeyListing(team: "payments", principal: "pipeline", keys: [
            try pki.listedKey("0a1b2c", release: "v1.0.0", leaf: firstLeaf), broken, try pki.listedKey("3d4e5f", release: "v2.0.0", leaf: secondLeaf),
        ]))
        #expect(contents.label == "payments" && contents.principal == "pipeline")
        #expect(contents.objects.count == 8)
        #expect(contents.keys.count == 2)
        #expect(contents.skipped.count == 1 && contents.skipped[0].contains("key cc"))

        let byIdentity = Dictionary(uniqueKeysWithValues: contents.objects.map { ($0.identity, $0) })
        let privateKey = byIdentity[.privateKey(keyID: "0a1b2c")]
        #expect(Self.value(privateKey, CKA_CLASS) == AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)))
        #expect(Self.value(privateKey, CKA_KEY_TYPE) == AttributeEncoding.ulong(CK_ULONG(CKK_EC)))
        #expect(Self.value(privateKey, CKA_ID) == [0x0a, 0x1b, 0x2c])
        #expect(Self.value(privateKey, CKA_LABEL) == Array("v1.0.0".utf8))
        for (type, expected) in [(CKA_SIGN, true), (CKA_SENSITIVE, true), (CKA_ALWAYS_SENSITIVE, true), (CKA_NEVER_EXTRACTABLE, true), (CKA_EXTRACTABLE, false),
                                 (CKA_PRIVATE, false), (CKA_TOKEN, true), (CKA_DECRYPT, false)] {
            #expect(Self.value(privateKey, type) == AttributeEncoding.bool(expected), "attribute 0x\(String(type, radix: 16))")
        }
        #expect(privateKey?.lookup(CK_ATTRIBUTE_TYPE(CKA_VALUE)) == .sensitive)
        #expect(privateKey?.lookup(CK_ATTRIBUTE_TYPE(CKA_MODULUS)) == .absent)
        #expect(Self.value(privateKey, CKA_EC_PARAMS) == [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])
        #expect(Self.value(privateKey, CKA_EC_POINT) == [0x04, 0x41] + Array(first.publicKey.x963Representation))
        #expect(Self.value(privateKey, CKA_ALLOWED_MECHANISMS) == AttributeEncoding.ulongs([CKM_ECDSA, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512].map { CK_ULONG($0) }))

        let publicKey = byIdentity[.publicKey(keyID: "0a1b2c")]
        #expect(Self.value(publicKey, CKA_CLASS) == AttributeEncoding.ulong(CK_ULONG(CKO_PUBLIC_KEY)))
        #expect(Self.value(publicKey, CKA_EC_POINT) == Self.value(privateKey, CKA_EC_POINT))

        let certificates = contents.objects.filter { $0.objectClass == CK_OBJECT_CLASS(CKO_CERTIFICATE) }
        #expect(certificates.count == 4)
        let leaf = try #require(certificates.first { Self.value($0, CKA_ID) == [0x0a, 0x1b, 0x2c] })
        #expect(Self.value(leaf, CKA_VALUE) == (try Self.der(firstLeaf)))
        #expect(Self.value(leaf, CKA_LABEL) == Array("v1.0.0".utf8))
        #expect(Self.value(leaf, CKA_CERTIFICATE_CATEGORY) == AttributeEncoding.ulong(1))
        #expect(Self.value(leaf, CKA_SERIAL_NUMBER) == [0x02, 0x03, 0x00, 0x9f, 0x01])
        let authorities = certificates.filter { Self.value($0, CKA_CERTIFICATE_CATEGORY) == AttributeEncoding.ulong(2) }
        #expect(Set(authorities.compactMap { Self.value($0, CKA_LABEL) }) == [Array("Signet Issuing CA 1".utf8), Array("Signet Root CA".utf8)])
        // Java's keystore walks the chain by issuer → subject octets.
        let issuing = try #require(authorities.first { Self.value($0, CKA_SUBJECT) == Self.value(leaf, CKA_ISSUER) })
        #expect(Self.value(issuing, CKA_VALUE) == (try Self.der(pki.issuing)))
        #expect(Self.value(issuing, CKA_ID) == Array(Insecure.SHA1.hash(data: pki.issuingKey.publicKey.x963Representation)))
    }

    @Test("an RSA key shows modulus and exponent, RSA mechanisms, and hides its private parts; key ids that are not hex stay as they are")
    func rsaObjects() throws {
        let pki = try PKI.make()
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits3072)
        let leaf = try pki.leaf(.init(rsa.publicKey), release: "v9")
        let contents = TokenContents(listing: KeyListing(team: nil, principal: "ops", keys: [try pki.listedKey("not-hex", release: "v9", leaf: leaf)]))
        #expect(contents.label == "signet")
        let key = try #require(contents.objects.first { $0.identity == .privateKey(keyID: "not-hex") })
        #expect(Self.value(key, CKA_ID) == Array("not-hex".utf8))
        #expect(Self.value(key, CKA_KEY_TYPE) == AttributeEncoding.ulong(CK_ULONG(CKK_RSA)))
        #expect(Self.value(key, CKA_MODULUS_BITS) == AttributeEncoding.ulong(3072))
        #expect(Self.value(key, CKA_PUBLIC_EXPONENT) == [1, 0, 1])
        #expect(key.lookup(CK_ATTRIBUTE_TYPE(CKA_PRIVATE_EXPONENT)) == .sensitive)
        #expect(Self.value(key, CKA_ALLOWED_MECHANISMS) == AttributeEncoding.ulongs([CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS].map { CK_ULONG($0) }))
        #expect(contents.keys[.privateKey(keyID: "not-hex")]?.publicKey.signatureLength == 384)
        #expect(TokenContents.idOctets("ABcd") == [0xab, 0xcd] && TokenContents.idOctets("abc") == Array("abc".utf8) && TokenContents.idOctets("") == [])
    }
}
