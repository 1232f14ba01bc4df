import Crypto
import _CryptoExtras
import Foundation
import GRDB
import SignetCore
@testable import SignetRuntime
import SignetStore
import SignetTestSupport
import Testing
import X509

/// The issuance pipeline end to end in-process, against the real SoftHSM2 token and SQLite store.
@Suite struct CertificateAuthorityTests {
    static func csr(_ key: P256.Signing.PrivateKey = .init()) throws -> [UInt8] {
        try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(key),
                                      attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes()
    }

    static let developer = Principal(name: "alice", role: .developer, team: "payments")

    @Test("init creates the hierarchy once; a second init changes nothing")
    func initIsIdempotent() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let names = runtime.ca.authorities.map(\.name)
        #expect(names == ["issuing-ca-1", "ocsp-signer-1", "root-ca-1", "timestamping-1"])
        let keysBefore = try await runtime.store.keys()
        let tokenBefore = try runtime.keyManager.listKeys()
        #expect(keysBefore.allSatisfy { $0.state == .active })
        #expect(Set(tokenBefore.map(\.reference.idHex)) == Set(keysBefore.map(\.id)))

        let (again, created) = try await SignetRuntime.initialize(runtime.home.directory, options: .init(), clock: SystemClock())
        #expect(created.isEmpty)
        #expect(try await again.store.keys() == keysBefore)
        #expect(Set(try again.keyManager.listKeys().map(\.reference.idHex)) == Set(tokenBefore.map(\.reference.idHex)))
    }

    @Test("issuance records the linted TBS, signs it in the HSM and returns only what is stored")
    func issue() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let issued = try await runtime.ca.issue(IssuanceRequest(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer)
        let stored = try #require(try await runtime.store.certificate(serial: issued.record.serial))
        let certificate = try issued.certificate
        #expect(stored.status == .valid)
        #expect(stored.der == issued.der && certificate.derBytes == issued.der)
        #expect(stored.requester == "alice" && stored.team == "payments" && stored.issuer == "issuing-ca-1")
        // The TBS kept while pending is dropped once the DER, which contains it, is recorded.
        let tbs = try await runtime.sqlite.read("tbs") { db in try Data.fetchOne(db, sql: "SELECT tbs FROM certificates WHERE serial = ?", arguments: [issued.record.serial]) }
        #expect(tbs == nil)
        #expect(issued.chain.map(\.subject.description) == [
            "CN=Signet Issuing CA 1,O=Signet Test Signing", "CN=Signet Test Root CA 1,O=Signet Test Signing",
        ])
        #expect(issued.chain[0].publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) == 86_400)
        let audit = try await runtime.store.auditEntries(after: 0, limit: 1000)
        #expect(audit.last?.event.action == "certificate.issue")
        #expect(audit.last?.event.target == issued.record.serial)
    }

    @Test("a signature from the token that does not verify is never handed out; the certificate stays pending")
    func faultyTokenSignature() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let real = runtime.ca
        let faulty = CertificateAuthority(profiles: real.profiles, custodian: CorruptingCustodian(real: real.custodian), repository: real.repository,
                                          clock: real.clock, urls: real.urls)
        try await faulty.loadAuthorities()
        await #expect { try await faulty.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer) } throws: {
            ($0 as? SignetError)?.code == .keyCustody
        }
        // The record left pending holds the linted TBS that was sent to the token, with its serial.
        let pending = try #require(try await runtime.store.certificates(.init(status: .pending)).first)
        let tbs = try await runtime.sqlite.read("tbs") { db in try [UInt8](Data.fetchOne(db, sql: "SELECT tbs FROM certificates WHERE serial = ?", arguments: [pending.serial])!) }
        let unsigned = try Certificate(derEncoded: CertificateBuilder.assemble(tbs: tbs, signatureAlgorithm: .ecdsaWithSHA256, signature: [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]))
        #expect(Array(unsigned.serialNumber.bytes) == Hex.decode(pending.serial))
        #expect(unsigned.subject.description == pending.subject)
        #expect(try await runtime.store.countCertificates(.init(status: .pending)) == 1)
        let validBefore = try await runtime.store.countCertificates(.init(status: .valid))
        // The same token and key without the fault issue normally.
        _ = try await real.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer)
        #expect(try await runtime.store.countCertificates(.init(status: .valid)) == validBefore + 1)
    }

    @Test("refusals say why and leave certificates and keys unchanged", arguments: [
        ("too long", "prerelease-codesign", "payments", "8d", SignetError.Code.policyRefused),
        ("other team", "prerelease-codesign", "search", nil, .forbidden),
        ("unknown profile", "no-such-profile", "payments", nil, .notFound),
        ("hsm profile", "ci-release", "payments", nil, .policyRefused),
        ("bad team name", "prerelease-codesign", "Pay Ments", nil, .malformedInput),
    ] as [(String, String, String, String?, SignetError.Code)])
    func refusals(name: String, profile: String, team: String, validity: String?, code: SignetError.Code) async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let before = try await runtime.store.countCertificates(.init())
        let keys = try await runtime.store.keys()
        let request = IssuanceRequest(profile: profile, csr: try Self.csr(), team: team, validity: try validity.map(ValidityDuration.init(parsing:)))
        await #expect { try await runtime.ca.issue(request, by: Self.developer) } throws: { ($0 as? SignetError)?.code == code }
        #expect(try await runtime.store.countCertificates(.init()) == before)
        #expect(try await runtime.store.keys() == keys)
        let last = try await runtime.store.auditEntries(after: 0, limit: 1000).last
        #expect(last?.event.action == "certificate.refuse" && last?.event.outcome == .refused)
    }

    @Test("an RSA-2048 CSR is refused by name")
    func rsa2048Refused() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(key),
                                                attributes: .init(), signatureAlgorithm: .sha256WithRSAEncryption).derBytes()
        await #expect { try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments"), by: Self.developer) } throws: {
            ($0 as? SignetError)?.reason.contains("rsa-2048") == true
        }
    }

    @Test("reopening a home loads and checks every authority; a swapped certificate refuses to start")
    func reopenChecksKeys() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let reopened = try await SignetRuntime.open(runtime.home)
        #expect(reopened.ca.authorities.count == 4)
        // Put the OCSP signer's certificate on the TSA record: the TSA key no longer matches it.
        let ocsp = try #require(try await runtime.store.authority(named: "ocsp-signer-1"))
        try await runtime.sqlite.write("tamper") { db in
            try db.execute(sql: "UPDATE authorities SET certificate_der = ? WHERE name = 'timestamping-1'", arguments: [Data(ocsp.certificateDER)])
        }
        await #expect { try await SignetRuntime.open(runtime.home) } throws: { ($0 as? SignetError)?.code == .keyCustody }
    }

    @Test("a key left pending by a crash is destroyed and marked abandoned at the next init")
    func pendingKeysAreReconciled() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let reference = KeyReference(id: (0..<16).map { _ in UInt8.random(in: 0...255) }, label: "signet/crashed")
        try await runtime.store.recordPendingKey(
            KeyRecord(id: reference.idHex, label: reference.label, algorithm: .ecP256, purpose: .issuingCA, state: .pending, createdAt: Date()),
            event: AuditEvent(time: Date(), actor: "test", role: nil, action: "key.generate", target: reference.idHex))
        _ = try runtime.keyManager.generateKey(reference, algorithm: .ecP256)  // the process "dies" here
        #expect(try runtime.keyManager.listKeys().contains { $0.reference.id == reference.id })

        _ = try await SignetRuntime.initialize(runtime.home.directory, options: .init())
        #expect(try await runtime.store.key(id: reference.idHex)?.state == .abandoned)
        #expect(!(try runtime.keyManager.listKeys().contains { $0.reference.id == reference.id }))
    }

    @Test("10,000 certificates issued concurrently all get distinct 20-octet serials")
    func tenThousandSerials() async throws {
        // tmpfs keeps 20,000 synchronous commits fast; the store's behaviour is the same.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? TestEnvironment.temporaryDirectory("shm", in: "/dev/shm") : nil
        let runtime = try await TestEnvironment.makeRuntime(base: base)
        let csr = try Self.csr()
        let total = 10_000
        let workers = 8
        let serials = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var mine: [String] = []
                    for _ in 0..<(total / workers) {
                        mine.append(try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments"), by: Self.developer).record.serial)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(serials.count == total)
        #expect(Set(serials).count == total)
        #expect(serials.allSatisfy { $0.count == 40 })
        let distinctInStore = try await runtime.sqlite.read("count") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT serial) FROM certificates WHERE profile = 'prerelease-codesign' AND status = 'valid'")!
        }
        #expect(distinctInStore == total)
        if let base { try? FileManager.default.removeItem(atPath: base) }
    }
}

/// Fault injection over the real token: each key signs in SoftHSM2, then one bit of the signature is
/// flipped, as a faulty or tampered token would return it.
struct CorruptingCustodian: KeyCustodian {
    let real: any KeyCustodian

    func generateKey(_ reference: KeyReference, algorithm: KeyAlgorithm) throws -> any SigningKey {
        CorruptingKey(real: try real.generateKey(reference, algorithm: algorithm))
    }
    func key(_ reference: KeyReference) throws -> any SigningKey { CorruptingKey(real: try real.key(reference)) }
    func destroyKey(_ reference: KeyReference) throws { try real.destroyKey(reference) }
    func listKeys() throws -> [TokenKey] { try real.listKeys() }
    func protection(of reference: KeyReference) throws -> KeyProtection { try real.protection(of: reference) }
    var custodyDescription: String { real.custodyDescription }
}

struct CorruptingKey: SigningKey {
    let real: any SigningKey
    var reference: KeyReference { real.reference }
    var algorithm: KeyAlgorithm { real.algorithm }
    var publicKey: Certificate.PublicKey { real.publicKey }

    func signDigest(_ digest: [UInt8], algorithm digestAlgorithm: DigestAlgorithm) throws -> [UInt8] {
        var signature = try real.signDigest(digest, algorithm: digestAlgorithm)
        signature[signature.count - 1] ^= 0x01
        return signature
    }
}
