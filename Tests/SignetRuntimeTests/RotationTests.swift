import Crypto
import Foundation
import SignetCore
import SignetRuntime
import SignetTestSupport
import SignetWire
import SwiftASN1
import Testing
import X509

/// A year of rotation schedule in seconds, with the injectable clock, on the real token and store.
@Suite struct RotationTests {
    static let scheduler = Principal(name: "scheduler", role: .admin, team: nil)
    static let developer = Principal(name: "alice", role: .developer, team: "payments")

    struct Issued {
        let certificate: Certificate
        let issuer: Certificate
        let at: Date
        let serial: String
        let issuerName: String
    }

    @Test("a simulated year: the issuing CA rotates on schedule, every certificate verifies at issuance, revocation keeps working for retiring issuers, retired keys leave the token")
    func simulatedYear() async throws {
        let start = Date(timeIntervalSince1970: 1_893_456_000)  // 2030-01-01
        let clock = ManualClock(start)
        let runtime = try await TestEnvironment.makeRuntime(clock: clock)
        let rotation = RotationScheduler(ca: runtime.ca)
        let publisher = try runtime.makeRevocation()
        var issued: [Issued] = []
        var revokedFromOldIssuer: Issued?
        var checkedRetiringOCSP = false

        for day in 1...365 {
            clock.advance(by: 86_400)
            try await rotation.runDue(by: Self.scheduler)
            if day % 5 == 0 {
                let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(P256.Signing.PrivateKey()),
                                                        attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes()
                let result = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments", validity: .days(7)), by: Self.developer)
                issued.append(Issued(certificate: try result.certificate, issuer: result.chain[0], at: clock.now(), serial: result.record.serial, issuerName: result.record.issuer))
            }
            // Right after the first rotation of the issuing CA, revoke a certificate of the old one and
            // check that its CRL and OCSP still answer for it while it is retiring.
            if revokedFromOldIssuer == nil, let old = runtime.ca.authorities.first(where: { $0.record.profile == "issuing-ca" && $0.record.state == .retiring }),
               let victim = issued.last(where: { $0.issuerName == old.name && $0.certificate.notValidAfter > clock.now() }) {
                _ = try await runtime.ca.revoke(serial: victim.serial, reason: .keyCompromise, by: Self.scheduler)
                try await publisher.revocationHappened()
                let crl = try #require(try await publisher.publishAll().first { $0.issuer == old.name })
                #expect(try CertificateList(derEncoded: crl.der).tbsCertList.revokedCertificates.contains { $0.serialNumber == Array(victim.certificate.serialNumber.bytes) })
                let answer = await publisher.responder.respond(to: try Self.ocspRequest(victim.certificate, issuer: victim.issuer))
                let basic = try #require(try OCSPResponse(derEncoded: answer.der).basicResponse())
                guard case .revoked = basic.tbsResponseData.responses[0].certStatus else { Issue.record("OCSP of a retiring issuer did not say revoked"); return }
                // Signed by the retiring CA's own delegated signer.
                #expect(basic.certs.first?.issuer == old.certificate.subject)
                revokedFromOldIssuer = victim
                checkedRetiringOCSP = true
            }
        }
        #expect(checkedRetiringOCSP)

        let all = try await runtime.store.authorities()
        let issuingGenerations = all.filter { $0.profile == "issuing-ca" }
        // 90-day rotation over 365 days: generations 1 to 5.
        #expect(issuingGenerations.count == 5, "\(issuingGenerations.map { "\($0.name):\($0.state)" })")
        #expect(issuingGenerations.filter { $0.state == .active }.count == 1)
        #expect(issuingGenerations.filter { $0.state == .retired }.count >= 3)
        #expect(all.filter { $0.profile == "timestamping" && $0.state == .active }.count == 1)
        // Every OCSP signer still in use answers for a CA that holds its key.
        for signer in all where signer.profile == "ocsp-signer" && signer.state == .active {
            #expect(all.first { $0.name == signer.parent }?.state != .retired)
        }
        // Each certificate issued during the year verifies against its own chain at its issuance time.
        let work = TestEnvironment.temporaryDirectory("year")
        let rootPath = work + "/root.pem"
        try runtime.ca.authority(named: "root-ca-1").certificate.serializeAsPEM().pemString.write(toFile: rootPath, atomically: true, encoding: .utf8)
        #expect(Set(issued.map(\.issuerName)).count >= 4)
        for (index, item) in issued.enumerated() {
            let leaf = work + "/leaf\(index).pem", issuer = work + "/issuer\(index).pem"
            try item.certificate.serializeAsPEM().pemString.write(toFile: leaf, atomically: true, encoding: .utf8)
            try item.issuer.serializeAsPEM().pemString.write(toFile: issuer, atomically: true, encoding: .utf8)
            let verify = try ProcessRunner.run("openssl", ["verify", "-attime", "\(Int(item.at.timeIntervalSince1970))", "-CAfile", rootPath, "-untrusted", issuer, leaf])
            #expect(verify.succeeded, "certificate \(index) from \(item.issuerName): \(verify.stderr)")
        }
        // Retired authorities' keys are gone from the token, as pkcs11-tool sees it; live ones are there.
        let listing = try TestEnvironment.pkcs11Tool(["--list-objects", "--type", "privkey"],
                                                     home: runtime.home.directory, tokenLabel: runtime.home.config.hsm.tokenLabel)
        let tokenIDs = Set(listing.split(separator: "\n").filter { $0.contains("ID:") }.map { $0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces) })
        for authority in all {
            if authority.state == .retired {
                #expect(!tokenIDs.contains(authority.keyID), "\(authority.name) is retired but its key is in the token")
                #expect(try await runtime.store.key(id: authority.keyID)?.state == .destroyed)
            } else {
                #expect(tokenIDs.contains(authority.keyID), "\(authority.name) is \(authority.state) but its key is missing")
            }
        }
        let keyStates = try await runtime.store.keys()
        #expect(Set(keyStates.filter { $0.state == .active || $0.state == .pending }.map(\.id)) == tokenIDs)
    }

    static func ocspRequest(_ certificate: Certificate, issuer: Certificate) throws -> [UInt8] {
        let id = try CertID(hashAlgorithm: .sha1, issuerNameHash: Array(Insecure.SHA1.hash(data: try issuer.subject.derBytes())),
                            issuerKeyHash: Array(Insecure.SHA1.hash(data: Array(issuer.publicKey.subjectPublicKeyInfoBytes))), serialNumber: certificate.serialNumber.bytes)
        return try OCSPRequest(tbsRequest: try TBSRequest(requestList: [try Request(reqCert: id)])).derBytes()
    }

    @Test("a forced rotation switches issuance at once; the old issuer keeps its chain and stays retiring")
    func forcedRotation() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let rotation = RotationScheduler(ca: runtime.ca)
        let result = try await rotation.rotate("issuing-ca-1", by: Self.scheduler)
        #expect(result == "issuing-ca-1 → issuing-ca-2")
        #expect(try runtime.ca.activeAuthority(profile: "issuing-ca").name == "issuing-ca-2")
        #expect(try await runtime.store.authority(named: "issuing-ca-1")?.state == .retiring)
        // The new CA has its own OCSP signer; the old one keeps its own.
        let signers = runtime.ca.authorities.filter { $0.record.profile == "ocsp-signer" && $0.record.state == .active }.compactMap(\.record.parent)
        #expect(Set(signers) == ["issuing-ca-1", "issuing-ca-2"])
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(P256.Signing.PrivateKey()),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes()
        let issued = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: csr, team: "payments"), by: Self.developer)
        #expect(issued.record.issuer == "issuing-ca-2")
        await #expect { try await rotation.rotate("root-ca-1", by: Self.scheduler) } throws: { ($0 as? SignetError)?.code == .policyRefused }
        await #expect { try await rotation.rotate("issuing-ca-1", by: Self.scheduler) } throws: { ($0 as? SignetError)?.code == .conflict }
    }
}
