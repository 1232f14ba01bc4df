import Crypto
import Foundation
import GRDB
import SignetCore
import SignetRuntime
import SignetTestSupport
import SignetWire
import SwiftASN1
import Testing
import X509

/// What the CA does under load, on the real token and store: a full signing queue refuses issuance
/// before anything is recorded and answers OCSP and the TSA in their protocols; a refused signature
/// (rate limit) is `tryLater` / a systemFailure rejection carrying the refusal, while cached OCSP
/// answers are never refused; the OCSP caches stay within their byte budget.
@Suite struct SigningLoadTests {
    /// The runtime's authorities behind a signing queue of `capacity`.
    static func authority(_ runtime: SignetRuntime, capacity: Int) async throws -> CertificateAuthority {
        let ca = CertificateAuthority(profiles: runtime.profiles, custodian: runtime.keyManager, repository: runtime.store, clock: runtime.clock,
                                      urls: runtime.ca.urls, signing: SigningQueue(settings: .init(threads: runtime.home.config.hsm.sessions, capacity: capacity)))
        try await ca.loadAuthorities()
        return ca
    }

    /// A queue that admits nothing (capacity 0), as when every HSM session is busy and the queue is full.
    static func saturated(_ runtime: SignetRuntime) async throws -> CertificateAuthority {
        try await authority(runtime, capacity: 0)
    }

    static func certificateRows(_ runtime: SignetRuntime) async throws -> Int {
        try await runtime.sqlite.read("count") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM certificates")! }
    }

    @Test("with the signing queue full, issuance is refused with hsm_busy and records nothing; OCSP says tryLater, the TSA rejects with systemFailure")
    func saturatedQueue() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let ca = try await Self.saturated(runtime)
        let before = try await Self.certificateRows(runtime)
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(P256.Signing.PrivateKey()),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes()
        do {
            _ = try await ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments", validity: .hours(1)), by: RevocationTests.developer)
            Issue.record("issuance should have been refused")
        } catch let error as SignetError {
            #expect(error.code == .hsmBusy && error.retryAfter == 1, "\(error)")
        }
        #expect(try await Self.certificateRows(runtime) == before, "a refusal for load must leave no pending certificate")
        // The same request goes through the runtime's own (unsaturated) queue.
        let issued = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments", validity: .hours(1)), by: RevocationTests.developer)

        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        let responder = OCSPResponder(ca: ca, repository: runtime.store)
        let answer = await responder.respond(to: try RevocationTests.request([try RevocationTests.certID(issued.certificate, issuer: issuing)], nonce: [1, 2, 3, 4]))
        #expect(answer.status == .tryLater && answer.refusal?.code == .hsmBusy)
        #expect(try OCSPResponse(derEncoded: answer.der).responseStatus == .tryLater)

        let tsa = try TimestampAuthority(ca: ca, serials: TimestampSerialAllocator(repository: runtime.store, clock: runtime.clock), accuracy: try Accuracy(seconds: 1))
        let reply = await tsa.respond(to: try TimestampAuthorityTests.query())
        #expect(!reply.granted && reply.refusal?.code == .hsmBusy)
        #expect(try TimestampAuthorityTests.failure(reply.der) == .systemFailure)
        #expect(try TimeStampResp(derEncoded: reply.der).status.statusString.first?.contains("try again") == true)
    }

    @Test("a refusal before signing is tryLater (OCSP) or a systemFailure rejection (TSA) with its reason; cached OCSP answers are never refused")
    func refusedBeforeSigning() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let responder = try runtime.makeRevocation().responder
        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        let cert = try await RevocationTests.issue(runtime)
        let certID = try RevocationTests.certID(cert.certificate, issuer: issuing)
        let limited: @Sendable () throws -> Void = { throw SignetError(.rateLimited, "slow down", retryAfter: 7) }

        let withNonce = await responder.respond(to: try RevocationTests.request([certID], nonce: [9, 9, 9, 9]), beforeSigning: limited)
        #expect(withNonce.status == .tryLater && withNonce.refusal?.code == .rateLimited && withNonce.refusal?.retryAfter == 7)
        // Nonce-less: the first answer is signed (and refused while limited), then cached and never refused.
        let plain = try RevocationTests.request([certID])
        #expect(await responder.respond(to: plain, beforeSigning: limited).status == .tryLater)
        #expect(await responder.respond(to: plain).status == .successful)
        let cached = await responder.respond(to: plain, beforeSigning: limited)
        #expect(cached.status == .successful && cached.refusal == nil)
        // A refusal for a malformed request is the protocol's, not the limiter's.
        #expect(await responder.respond(to: [0x30, 0x00], beforeSigning: limited).status == .malformedRequest)

        let tsa = try runtime.makeTimestampAuthority()
        let reply = await tsa.respond(to: try TimestampAuthorityTests.query(), beforeSigning: limited)
        #expect(!reply.granted && reply.refusal?.retryAfter == 7)
        #expect(try TimestampAuthorityTests.failure(reply.der) == .systemFailure)
        // A bad query is rejected for what it is, before the limiter is asked.
        let bad = await tsa.respond(to: [0x30, 0x03, 0x02, 0x01, 0x02], beforeSigning: limited)
        #expect(bad.refusal == nil && !bad.granted)
        #expect(await tsa.respond(to: try TimestampAuthorityTests.query()).granted)
    }

    @Test("the OCSP caches stay within their byte budget however many distinct questions come, and keep the latest answers")
    func ocspCacheBoundedInBytes() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        let budget = 48 * 1024
        let responder = OCSPResponder(ca: runtime.ca, repository: runtime.store, settings: .init(cacheBytes: budget))
        let nameHash = Array(Insecure.SHA1.hash(data: try issuing.subject.derBytes()))
        let keyHash = Array(Insecure.SHA1.hash(data: Array(issuing.publicKey.subjectPublicKeyInfoBytes)))
        var requests: [[UInt8]] = []
        for _ in 0..<300 {
            // Serials Signet never issued: each is a new question answered `unknown`, signed and cached.
            let certID = try CertID(hashAlgorithm: .sha1, issuerNameHash: nameHash, issuerKeyHash: keyHash, serialNumber: Certificate.SerialNumber().bytes)
            let request = try RevocationTests.request([certID])
            #expect(await responder.respond(to: request).status == .successful)
            #expect(responder.cachedBytes <= budget)
            requests.append(request)
        }
        #expect(responder.cachedBytes > budget / 4, "the cache should be in use: \(responder.cachedBytes) bytes")
        #expect(responder.immediateAnswer(to: requests.last!) != nil, "the newest answer is kept")
        #expect(responder.immediateAnswer(to: requests.first!) == nil, "the oldest answers made room")
    }
}
