import CPKCS11
import Crypto
import Foundation
@testable import SignetPKCS11
import Testing

/// DER ↔ r‖s, what Signet is asked to sign for each mechanism, and the sign operation's rules.
@Suite struct SignatureTests {
    static let p256 = P256.Signing.PrivateKey()
    static let p384 = P384.Signing.PrivateKey()
    static var ecKey: PublicKeyFields { .ec(curve: .p256, parameters: [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], point: Array(p256.publicKey.x963Representation)) }
    static var ec384Key: PublicKeyFields { .ec(curve: .p384, parameters: [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22], point: Array(p384.publicKey.x963Representation)) }
    static let rsaKey = PublicKeyFields.rsa(modulus: [0xc1] + [UInt8](repeating: 0x5a, count: 383), exponent: [1, 0, 1])

    @Test("DER and r‖s agree with swift-crypto's encodings, both ways, for P-256 and P-384")
    func ecdsaCoding() throws {
        for _ in 0..<50 {
            let signature = try Self.p256.signature(for: Data("message".utf8))
            #expect(try ECDSASignatureCoding.raw(fromDER: Array(signature.derRepresentation), coordinateLength: 32) == Array(signature.rawRepresentation))
            #expect(try ECDSASignatureCoding.der(fromRaw: Array(signature.rawRepresentation)) == Array(signature.derRepresentation))
            let long = try Self.p384.signature(for: Data("message".utf8))
            #expect(try ECDSASignatureCoding.raw(fromDER: Array(long.derRepresentation), coordinateLength: 48) == Array(long.rawRepresentation))
        }
    }

    @Test("DER that is not two positive INTEGERs of the curve's size is refused")
    func ecdsaRefusals() throws {
        let cases: [[UInt8]] = [
            [],
            [0x30, 0x00],
            [0x30, 0x03, 0x02, 0x01, 0x01],                                   // one INTEGER
            [0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01],                 // negative r
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01],                 // zero r
            [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01],           // non-minimal INTEGER
            [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00],           // trailing octet
            [0x30, 0x25, 0x02, 0x21, 0x01] + [UInt8](repeating: 1, count: 32) + [0x02, 0x01, 0x01], // r of 33 octets
        ]
        for der in cases {
            #expect(throws: PKCS11ParseError.self) { try ECDSASignatureCoding.raw(fromDER: der, coordinateLength: 32) }
        }
        #expect(throws: PKCS11ParseError.self) { try ECDSASignatureCoding.der(fromRaw: [1, 2, 3]) }
        #expect(throws: PKCS11ParseError.self) { try ECDSASignatureCoding.der(fromRaw: [UInt8](repeating: 0, count: 64)) }
        // Short r and s are padded on the left.
        #expect(try ECDSASignatureCoding.raw(fromDER: [0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x05], coordinateLength: 4) == [0, 0, 0, 0x80, 0, 0, 0, 5])
    }

    @Test("random octets never trap the DER decoder")
    func ecdsaProperty() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        let valid = Array((try? Self.p256.signature(for: Data("x".utf8)).derRepresentation) ?? Data())
        for round in 0..<5_000 {
            var der = round % 2 == 0 ? generator.bytes(Int.random(in: 0...80, using: &generator)) : valid
            if round % 2 == 1 { der[Int.random(in: 0..<der.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if let raw = try? ECDSASignatureCoding.raw(fromDER: der, coordinateLength: 32) {
                #expect(raw.count == 64, "seed \(seed) round \(round)")
            }
        }
    }

    @Test("CKM_ECDSA sends SHA-2 lengths as they are and any other digest as the integer ECDSA signs")
    func ecdsaInput() throws {
        let sha256 = [UInt8](repeating: 0xab, count: 32), sha384 = [UInt8](repeating: 0xcd, count: 48), sha512 = [UInt8](repeating: 0xef, count: 64)
        #expect(try RemoteSignatureRequest.make(mechanism: .ecdsa, input: sha256, key: Self.ecKey) == .init(digest: sha256, algorithm: .sha256))
        #expect(try RemoteSignatureRequest.make(mechanism: .ecdsa, input: sha384, key: Self.ecKey) == .init(digest: sha384, algorithm: .sha384))
        #expect(try RemoteSignatureRequest.make(mechanism: .ecdsa, input: sha512, key: Self.ec384Key) == .init(digest: sha512, algorithm: .sha512))
        let sha1 = [UInt8](repeating: 0x11, count: 20)
        #expect(try RemoteSignatureRequest.make(mechanism: .ecdsa, input: sha1, key: Self.ecKey) == .init(digest: [UInt8](repeating: 0, count: 12) + sha1, algorithm: .sha256))
        #expect(try RemoteSignatureRequest.make(mechanism: .ecdsa, input: sha1, key: Self.ec384Key) == .init(digest: [UInt8](repeating: 0, count: 28) + sha1, algorithm: .sha384))
        let long = (0..<100).map { UInt8($0) }
        #expect(try RemoteSignatureRequest.make(mechanism: .ecdsa, input: long, key: Self.ecKey) == .init(digest: Array(long.prefix(32)), algorithm: .sha256))
        #expect(throws: CryptokiError.dataLengthRange) { try RemoteSignatureRequest.make(mechanism: .ecdsa, input: [], key: Self.ecKey) }
        #expect(throws: CryptokiError.dataLengthRange) { try RemoteSignatureRequest.make(mechanism: .ecdsa, input: [UInt8](repeating: 1, count: 513), key: Self.ecKey) }
        #expect(throws: CryptokiError.keyTypeInconsistent) { try RemoteSignatureRequest.make(mechanism: .ecdsa, input: sha256, key: Self.rsaKey) }
        #expect(throws: CryptokiError.keyTypeInconsistent) { try RemoteSignatureRequest.make(mechanism: .sha256RSAPKCS, input: sha256, key: Self.ecKey) }
    }

    @Test("CKM_RSA_PKCS takes a SHA-2 DigestInfo exactly as Signet writes it, and nothing else")
    func rsaInput() throws {
        for algorithm in RemoteDigest.allCases {
            let digest = (0..<algorithm.length).map { UInt8($0) }
            #expect(try RemoteSignatureRequest.make(mechanism: .rsaPKCS, input: algorithm.digestInfoPrefix + digest, key: Self.rsaKey)
                    == .init(digest: digest, algorithm: algorithm))
        }
        let sha1DigestInfo: [UInt8] = [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14] + [UInt8](repeating: 7, count: 20)
        #expect(throws: CryptokiError.dataInvalid) { try RemoteSignatureRequest.make(mechanism: .rsaPKCS, input: sha1DigestInfo, key: Self.rsaKey) }
        // SHA-256 DigestInfo without the NULL parameters: a different encoding, so a different signature.
        let noNull: [UInt8] = [0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20] + [UInt8](repeating: 9, count: 32)
        #expect(throws: CryptokiError.dataInvalid) { try RemoteSignatureRequest.make(mechanism: .rsaPKCS, input: noNull, key: Self.rsaKey) }
        #expect(throws: CryptokiError.dataInvalid) { try RemoteSignatureRequest.make(mechanism: .rsaPKCS, input: [UInt8](repeating: 7, count: 32), key: Self.rsaKey) }
        #expect(throws: CryptokiError.dataLengthRange) { try RemoteSignatureRequest.make(mechanism: .rsaPKCS, input: [UInt8](repeating: 7, count: 374), key: Self.rsaKey) }
        // An RSA signature must be as long as the modulus.
        #expect(throws: PKCS11ParseError.self) { try RemoteSignatureRequest.output(fromSignet: [UInt8](repeating: 1, count: 383), key: Self.rsaKey) }
        #expect(try RemoteSignatureRequest.output(fromSignet: [UInt8](repeating: 1, count: 384), key: Self.rsaKey).count == 384)
    }

    @Test("a sign operation hashes parts as they come, answers length queries without changing, and bounds raw input")
    func operation() throws {
        let remote = TokenContents.RemoteKey(keyID: "ab", release: "v1", publicKey: Self.ecKey)
        var hashing = try SignOperation(mechanism: .ecdsaSHA256, key: remote)
        #expect(hashing.signatureLength == 64)
        for part in ["pre-", "release ", "build"] { try Array(part.utf8).withUnsafeBytes { try hashing.update($0) } }
        let expected = Array(SHA256.hash(data: Data("pre-release build".utf8)))
        #expect(try hashing.input(adding: UnsafeRawBufferPointer(start: nil, count: 0)) == expected)
        #expect(try hashing.input(adding: UnsafeRawBufferPointer(start: nil, count: 0)) == expected, "asking twice changes nothing")
        let withLast = try Array("!".utf8).withUnsafeBytes { try hashing.input(adding: $0) }
        #expect(withLast == Array(SHA256.hash(data: Data("pre-release build!".utf8))))

        var raw = try SignOperation(mechanism: .ecdsa, key: remote)
        try [UInt8](repeating: 1, count: 500).withUnsafeBytes { try raw.update($0) }
        #expect(throws: CryptokiError.dataLengthRange) { try [UInt8](repeating: 1, count: 13).withUnsafeBytes { try raw.update($0) } }
        #expect(throws: CryptokiError.keyTypeInconsistent) { try SignOperation(mechanism: .rsaPKCS, key: remote) }
        #expect(SignMechanism(type: CK_MECHANISM_TYPE(CKM_SHA1_RSA_PKCS)) == nil)
        #expect(SignMechanism.allCases.allSatisfy { SignMechanism(type: $0.type) == $0 })
    }
}
