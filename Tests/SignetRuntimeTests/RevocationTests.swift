import Crypto
import Foundation
import SignetCore
import SignetRuntime
import SignetTestSupport
import SignetWire
import SwiftASN1
import Testing
import X509

/// CRL signing and the OCSP responder in-process, on a real token and store, with a manual clock.
@Suite struct RevocationTests {
    static let developer = Principal(name: "alice", role: .developer, team: "payments")
    static let admin = Principal(name: "root", role: .admin, team: nil)

    static func issue(_ runtime: SignetRuntime, validity: String = "24h") async throws -> IssuedCertificate {
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(P256.Signing.PrivateKey()),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes()
        return try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments", validity: try ValidityDuration(parsing: validity)), by: developer)
    }

    static func certID(_ certificate: Certificate, issuer: Certificate, hash: SignetWire.AlgorithmIdentifier = .sha1) throws -> CertID {
        func digest(_ data: [UInt8]) -> [UInt8] {
            hash == .sha1 ? Array(Insecure.SHA1.hash(data: data)) : Array(SHA256.hash(data: data))
        }
        return try CertID(hashAlgorithm: hash, issuerNameHash: digest(try issuer.subject.derBytes()),
                          issuerKeyHash: digest(Array(issuer.publicKey.subjectPublicKeyInfoBytes)), serialNumber: certificate.serialNumber.bytes)
    }

    static func request(_ ids: [CertID], nonce: [UInt8]? = nil) throws -> [UInt8] {
        let extensions = try nonce.map { [Certificate.Extension(oid: OCSPNonce.oid, critical: false, value: try OCSPNonce.extensionValue(nonce: $0)[...])] } ?? []
        return try OCSPRequest(tbsRequest: try TBSRequest(requestList: ids.map { try Request(reqCert: $0) }, requestExtensions: extensions)).derBytes()
    }

    static func statuses(_ answer: OCSPResponder.Answer) throws -> [CertStatus] {
        let response = try OCSPResponse(derEncoded: answer.der)
        return try #require(try response.basicResponse()).tbsResponseData.responses.map(\.certStatus)
    }

    @Test("a CRL lists unexpired revocations with reasons, carries AKI and a rising CRL number, and verifies")
    func crlContents() async throws {
        let clock = ManualClock(Date())
        let runtime = try await TestEnvironment.makeRuntime(clock: clock)
        let publisher = try runtime.makeRevocation()
        let shortLived = try await Self.issue(runtime, validity: "1h")
        let longLived = try await Self.issue(runtime)
        let untouched = try await Self.issue(runtime)
        _ = try await runtime.ca.revoke(serial: shortLived.record.serial, reason: .superseded, by: Self.admin)
        _ = try await runtime.ca.revoke(serial: longLived.record.serial, reason: .keyCompromise, by: Self.admin)

        let first = try #require(try await publisher.publishAll().first { $0.issuer == "issuing-ca-1" })
        let list = try CertificateList(derEncoded: first.der)
        #expect(list.tbsCertList.revokedCertificates.map(\.reason).sorted { $0.rawValue < $1.rawValue } == [.keyCompromise, .superseded])
        let untouchedSerial = Array(try untouched.certificate.serialNumber.bytes)
        #expect(!list.tbsCertList.revokedCertificates.contains { $0.serialNumber == untouchedSerial })
        let issuing = try runtime.ca.authority(named: "issuing-ca-1")
        #expect(list.tbsCertList.authorityKeyIdentifier == Array(try issuing.certificate.extensions.subjectKeyIdentifier!.keyIdentifier))
        #expect(list.tbsCertList.nextUpdate.timeIntervalSince(list.tbsCertList.thisUpdate) == 86_400)
        #expect(issuing.certificate.publicKey.isValidSignature(list.signature, for: list.tbsCertListBytes, signatureAlgorithm: .ecdsaWithSHA256))

        // Two hours later the short-lived certificate has expired and leaves the CRL; the number rises.
        clock.advance(by: 7200)
        let second = try #require(try await publisher.publishAll().first { $0.issuer == "issuing-ca-1" })
        #expect(second.number > first.number)
        #expect(try CertificateList(derEncoded: second.der).tbsCertList.revokedCertificates.map(\.serialNumber) == [Array(longLived.certificate.serialNumber.bytes)])
        // The number is persisted: a new publisher (a restarted server) continues from it.
        let third = try #require(try await runtime.makeRevocation().publishAll().first { $0.issuer == "issuing-ca-1" })
        #expect(third.number > second.number)
        // And it is on disk, replaced atomically.
        #expect(FileManager.default.contents(atPath: runtime.home.crlDirectory + "/issuing-ca-1.crl").map(Array.init) == third.der)
        #expect(FileManager.default.fileExists(atPath: runtime.home.crlDirectory + "/root-ca-1.crl"))
    }

    @Test("OCSP: good, revoked with time and reason, unknown; SHA-1 and SHA-256 CertIDs; nonce echoed")
    func ocspStatuses() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let responder = try runtime.makeRevocation().responder
        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        let good = try await Self.issue(runtime)
        let bad = try await Self.issue(runtime)
        _ = try await runtime.ca.revoke(serial: bad.record.serial, reason: .keyCompromise, by: Self.admin)
        responder.noteRevision(try await runtime.store.revocationRevision())

        for hash in [SignetWire.AlgorithmIdentifier.sha1, .sha256] {
            let nonce: [UInt8] = Array(0..<16)
            let unknownID = try CertID(hashAlgorithm: hash, issuerNameHash: try Self.certID(good.certificate, issuer: issuing, hash: hash).issuerNameHash,
                                       issuerKeyHash: try Self.certID(good.certificate, issuer: issuing, hash: hash).issuerKeyHash, serialNumber: [0x01, 0x02])
            let answer = await responder.respond(to: try Self.request([
                try Self.certID(good.certificate, issuer: issuing, hash: hash), try Self.certID(bad.certificate, issuer: issuing, hash: hash), unknownID,
            ], nonce: nonce))
            #expect(answer.status == .successful)
            #expect(!answer.cacheable)
            let statuses = try Self.statuses(answer)
            #expect(statuses.count == 3)
            #expect(statuses[0] == .good)
            guard case .revoked(let info) = statuses[1] else { Issue.record("expected revoked, got \(statuses[1])"); continue }
            #expect(info.revocationReason == .keyCompromise)
            #expect(statuses[2] == .unknown)
            let basic = try #require(try OCSPResponse(derEncoded: answer.der).basicResponse())
            #expect(try OCSPNonce.validate(extensionValue: try #require(basic.tbsResponseData.nonce)) == nonce)
            // Signed by the delegated OCSP signer, whose certificate is included and chains to the issuer.
            let signer = try #require(basic.certs.first)
            #expect(signer.issuer == issuing.subject)
            #expect(signer.publicKey.isValidSignature(basic.signature, for: basic.tbsResponseDataBytes, signatureAlgorithm: .ecdsaWithSHA256))
        }
    }

    @Test("OCSP refuses in the protocol: garbage, truncation, too many CertIDs, bad nonce, foreign issuer")
    func ocspRefusals() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let responder = try runtime.makeRevocation().responder
        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        let good = try await Self.issue(runtime)
        let valid = try Self.request([try Self.certID(good.certificate, issuer: issuing)])
        #expect(await responder.respond(to: valid).status == .successful)
        #expect(await responder.respond(to: Array("GET / HTTP/1.1".utf8)).status == .malformedRequest)
        #expect(await responder.respond(to: []).status == .malformedRequest)
        #expect(await responder.respond(to: Array(valid.prefix(valid.count - 3))).status == .malformedRequest)
        let many = try Self.request(Array(repeating: try Self.certID(good.certificate, issuer: issuing), count: 17))
        #expect(await responder.respond(to: many).status == .malformedRequest)
        let longNonce = try OCSPRequest(tbsRequest: try TBSRequest(
            requestList: [try Request(reqCert: try Self.certID(good.certificate, issuer: issuing))],
            requestExtensions: [Certificate.Extension(oid: OCSPNonce.oid, critical: false, value: try ASN1OctetString(contentBytes: [UInt8](repeating: 7, count: 40)[...]).derBytes()[...])])).derBytes()
        #expect(await responder.respond(to: longNonce).status == .malformedRequest)
        // A CertID for an issuer Signet does not run.
        let other = try await TestEnvironment.makeRuntime()
        let foreignIssuer = try other.ca.authority(named: "issuing-ca-1").certificate
        let foreign = try Self.request([try Self.certID(good.certificate, issuer: foreignIssuer)])
        let unauthorized = await responder.respond(to: foreign)
        #expect(unauthorized.status == .unauthorized)
        #expect(try OCSPResponse(derEncoded: unauthorized.der).responseStatus == .unauthorized)
    }

    @Test("a cached OCSP answer is dropped the moment a revocation is noted")
    func ocspCacheFollowsRevocation() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let publisher = try runtime.makeRevocation()
        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        let cert = try await Self.issue(runtime)
        let request = try Self.request([try Self.certID(cert.certificate, issuer: issuing)])
        let first = await publisher.responder.respond(to: request)
        #expect(first.cacheable)
        #expect(await publisher.responder.respond(to: request).der == first.der)  // served from the cache
        _ = try await runtime.ca.revoke(serial: cert.record.serial, reason: .cessationOfOperation, by: Self.admin)
        try await publisher.revocationHappened()
        let after = await publisher.responder.respond(to: request)
        guard case .revoked = try Self.statuses(after)[0] else { Issue.record("still good after revocation"); return }
    }
}
