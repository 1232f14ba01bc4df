import Crypto
import _CryptoExtras
import Foundation
import SignetCore
@testable import SignetHSM
import SignetTestSupport
import Testing
import X509
import CPKCS11

/// Key custody against the real SoftHSM2 module: keys are generated in the token, protected, usable
/// for signing, findable again, and impossible to read out.
@Suite struct HSMKeyManagerTests {
    static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"

    /// A fresh token on the shared test SoftHSM2 with a pool of sessions.
    static func makeManager(sessions: Int = 2) throws -> (HSMKeyManager, String, String) {
        _ = TestEnvironment.softhsmConf
        let module = try PKCS11Module.load(path: modulePath)
        let label = "hsm-\(UUID().uuidString.prefix(10))"
        let pin = UUID().uuidString
        _ = try module.initializeToken(label: label, soPIN: UUID().uuidString, userPIN: pin)
        let pool = try HSMSessionPool(module: module, tokenLabel: label, pin: pin, size: sessions)
        return (HSMKeyManager(pool: pool), label, pin)
    }

    static func reference(of key: any SigningKey) -> KeyReference { (key as! HSMKey).reference }

    /// Signs `count` messages in parallel tasks and expects every signature to verify (P-256 keys).
    static func signConcurrently(_ key: any SigningKey, count: Int) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<count {
                group.addTask {
                    let message = Array("message \(i)".utf8)
                    return key.publicKey.isValidSignature(try key.sign(message: message), for: message, signatureAlgorithm: .ecdsaWithSHA256)
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    static func newReference() -> KeyReference {
        KeyReference(id: (0..<16).map { _ in UInt8.random(in: 0...255) }, label: "test/\(UUID().uuidString.prefix(8))")
    }

    @Test("keys of every type are generated in the token, protected, and sign verifiably", arguments: [KeyAlgorithm.ecP256, .ecP384, .rsa3072])
    func generateAndSign(algorithm: KeyAlgorithm) throws {
        let (manager, _, _) = try Self.makeManager()
        let reference = Self.newReference()
        let key = try manager.generateKey(reference, algorithm: algorithm)
        #expect(key.algorithm == algorithm)
        #expect(KeyAlgorithm(publicKey: key.publicKey) == algorithm)

        let protection = try manager.protection(of: reference)
        #expect(protection.onToken && protection.isPrivate && protection.sensitive && protection.alwaysSensitive)
        #expect(!protection.extractable && protection.neverExtractable && protection.local)
        #expect(protection.isFullyProtected)

        let message = Array("signet test message".utf8)
        let signature = try key.sign(message: message)
        #expect(key.publicKey.isValidSignature(signature, for: message, signatureAlgorithm: key.signatureAlgorithm))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0], signatureAlgorithm: key.signatureAlgorithm))
    }

    @Test("an RSA-4096 key is generated and signs with SHA-384")
    func rsa4096() throws {
        let (manager, _, _) = try Self.makeManager()
        let key = try manager.generateKey(Self.newReference(), algorithm: .rsa4096)
        #expect(key.signatureAlgorithm == .sha384WithRSAEncryption)
        let signature = try key.sign(message: [1, 2, 3])
        #expect(signature.count == 512)
        let rsa = try #require(_RSA.Signing.PublicKey(key.publicKey))
        #expect(rsa.keySizeInBits == 4096)
        #expect(rsa.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA384.hash(data: [1, 2, 3]), padding: .insecurePKCS1v1_5))
    }

    @Test("the private value cannot be read: CKA_VALUE is withheld")
    func privateValueIsUnreadable() throws {
        let (manager, _, _) = try Self.makeManager()
        let reference = Self.newReference()
        _ = try manager.generateKey(reference, algorithm: .ecP256)
        #expect(try manager.privateKeyAttribute(reference, UInt(CKA_VALUE)) == nil)
        // Public attributes of the same object are readable, so the nil above is the token refusing.
        #expect(try manager.privateKeyAttribute(reference, UInt(CKA_ID)) == reference.id)
    }

    @Test("a key is found again by id from a new session pool, and destroyed")
    func findAndDestroy() throws {
        let (manager, label, pin) = try Self.makeManager()
        let reference = Self.newReference()
        let generated = try manager.generateKey(reference, algorithm: .ecP384)

        let secondPool = try HSMSessionPool(module: manager.pool.module, tokenLabel: label, pin: pin, size: 1)
        let second = HSMKeyManager(pool: secondPool)
        let found = try second.key(reference)
        #expect(found.publicKey == generated.publicKey)
        #expect(try second.listKeys().map(\.reference.id).contains(reference.id))

        try second.destroyKey(reference)
        #expect(throws: HSMError.self) { try second.key(reference) }
        #expect(!(try second.listKeys().map(\.reference.id).contains(reference.id)))
        try second.destroyKey(reference)  // destroying twice is fine
    }

    @Test("a digest of the wrong length never reaches the token")
    func wrongDigestLength() throws {
        let (manager, _, _) = try Self.makeManager()
        let key = try manager.generateKey(Self.newReference(), algorithm: .ecP256)
        #expect(throws: SignetError.self) { try key.signDigest([UInt8](repeating: 1, count: 31), algorithm: .sha256) }
    }

    @Test("a wrong PIN is refused with a clear error")
    func wrongPIN() throws {
        let (manager, label, _) = try Self.makeManager()
        // Login state is per application; close the only pool first so the next login is checked.
        manager.pool.close()
        do {
            _ = try HSMSessionPool(module: manager.pool.module, tokenLabel: label, pin: "not-the-pin", size: 1)
            Issue.record("login with a wrong PIN succeeded")
        } catch let error as HSMError {
            #expect(error.code == .pinIncorrect)
            #expect(!error.reason.contains("not-the-pin"))
        }
    }

    @Test("a missing module path and an unknown token are clear errors")
    func missingModuleAndToken() throws {
        #expect { try PKCS11Module.load(path: "/nonexistent/libpkcs11.so") } throws: { ($0 as? HSMError)?.code == .moduleNotLoadable }
        // The shared configuration first: SoftHSM2 reads SOFTHSM2_CONF once, at the process's first
        // load, and a load without it put every in-process test token into the system's token
        // directory, where pkcs11-tool run with the test configuration could not find them.
        _ = TestEnvironment.softhsmConf
        let module = try PKCS11Module.load(path: Self.modulePath)
        #expect { try HSMSessionPool(module: module, tokenLabel: "no-such-token", pin: "x", size: 1) } throws: { ($0 as? HSMError)?.code == .tokenNotFound }
    }

    @Test("concurrent signing through a pool of two sessions")
    func concurrentSigning() async throws {
        let (manager, _, _) = try Self.makeManager(sessions: 2)
        let key = try manager.generateKey(Self.newReference(), algorithm: .ecP256)
        try await Self.signConcurrently(key, count: 200)
    }

    @Test("keys sign through an in-token session copy: not on the token, still sensitive and never extractable, unseen by listings, destroyed with the key")
    func sessionCopy() throws {
        let (manager, _, _) = try Self.makeManager()
        let reference = Self.newReference()
        let key = try #require(try manager.generateKey(reference, algorithm: .ecP256) as? HSMKey)
        let copy = try manager.signingObjectProtection(key)
        #expect(!copy.onToken && copy.sensitive && !copy.extractable && copy.neverExtractable && copy.alwaysSensitive, "\(copy)")
        #expect(try manager.protection(of: reference).isFullyProtected)
        #expect(try manager.privateKeyObjects(reference, includingSessionCopies: false).count == 1)
        #expect(try manager.privateKeyObjects(reference, includingSessionCopies: true).count == 2)
        #expect(try manager.listKeys().filter { $0.reference.id == reference.id }.count == 1)
        let message = Array("signed by the copy".utf8)
        #expect(key.publicKey.isValidSignature(try key.sign(message: message), for: message, signatureAlgorithm: .ecdsaWithSHA256))
        // Found again through the manager (cache cleared by a new manager on the same pool): a copy again.
        let again = try #require(try HSMKeyManager(pool: manager.pool).hsmKey(reference) as HSMKey?)
        #expect(!(try manager.signingObjectProtection(again).onToken))
        try manager.destroyKey(reference)
        #expect(try manager.privateKeyObjects(reference, includingSessionCopies: true).isEmpty)
    }

    @Test("sessions the token drops (C_CloseAllSessions behind the pool's back) are replaced, logged in again, and signing goes on")
    func droppedSessionsAreReplaced() async throws {
        let (manager, _, _) = try Self.makeManager(sessions: 2)
        let pool = manager.pool
        let key = try manager.generateKey(Self.newReference(), algorithm: .ecP256)
        let message = Array("before".utf8)
        #expect(key.publicKey.isValidSignature(try key.sign(message: message), for: message, signatureAlgorithm: .ecdsaWithSHA256))
        #expect(pool.sessionsReplaced == 0)

        // What a token reset or a network HSM reconnecting looks like to the application: every
        // session handle is invalid and the login is gone.
        #expect(pool.module.functions.C_CloseAllSessions!(CK_SLOT_ID(pool.slotID)) == CKR_OK)
        for i in 0..<6 {
            let message = Array("after \(i)".utf8)
            #expect(key.publicKey.isValidSignature(try key.sign(message: message), for: message, signatureAlgorithm: .ecdsaWithSHA256))
        }
        #expect((1...2).contains(pool.sessionsReplaced))
        // Under concurrency every stale session is found out and replaced once, and no more.
        try await Self.signConcurrently(key, count: 100)
        #expect(pool.sessionsReplaced <= 2)
        // Finding keys and reading their attributes works on the new sessions too.
        #expect(try manager.protection(of: Self.reference(of: key)).isFullyProtected)
    }

    @Test("the RFC 7512 URI names token, object and id")
    func pkcs11URI() {
        let uri = PKCS11URI(token: "signet test", object: "signet/root-ca-1", id: [0x0a, 0xff], type: "private", modulePath: "/usr/lib/softhsm/libsofthsm2.so")
        #expect(uri.description == "pkcs11:token=signet%20test;object=signet%2Froot-ca-1;id=%0a%ff;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so")
    }
}
