import Foundation
import SignetTestSupport
import SignetWire
import Testing

/// Rotation crash safety with real processes, and `signet sign` judged by openssl cms and openssl ts.
@Suite(.serialized) struct RotationInteropTests {
    static func makeHome() throws -> (home: String, work: String) {
        let work = TestEnvironment.temporaryDirectory("rot")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        return (home, work)
    }

    static func sql(_ home: String, _ query: String) throws -> [String] {
        try OpenSSL.check(ProcessRunner.run("sqlite3", [home + "/signet.db", query]), "sqlite3").output.split(separator: "\n").map(String.init)
    }

    static func tokenKeyIDs(_ home: String) throws -> Set<String> {
        let pin = try String(contentsOfFile: home + "/hsm.pin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let listing = try OpenSSL.check(ProcessRunner.run("pkcs11-tool", [
            "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", "signet", "--login", "--pin", "env:SIGNET_TEST_PIN",
            "--list-objects", "--type", "privkey"], environment: ["SOFTHSM2_CONF": home + "/softhsm2.conf", "SIGNET_TEST_PIN": pin]), "pkcs11-tool").output
        return Set(listing.split(separator: "\n").filter { $0.contains("ID:") }.map { $0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces) })
    }

    @Test("kill -9 in the middle of a rotation leaves the old or the new issuer active, never neither, and no key unrecorded",
          arguments: ["authority.after-key-generation", "authority.after-certificate-signed"])
    func crashDuringRotation(failpoint: String) throws {
        let (home, _) = try Self.makeHome()
        let crashed = try ProcessRunner.signet(["rotate", "--issuer", "issuing-ca-1", "--home", home],
                                               environment: ["SIGNET_FAILPOINTS": failpoint, "SIGNET_HSM_PIN": nil])
        #expect(crashed.status == 9, "the rotation should have been killed at \(failpoint): \(crashed.stderr)")
        // Exactly one active issuing CA: the old one.
        #expect(try Self.sql(home, "SELECT name FROM authorities WHERE profile = 'issuing-ca' AND state = 'active'") == ["issuing-ca-1"])
        // Every key in the token is recorded (the half-made one as pending).
        let recorded = Set(try Self.sql(home, "SELECT id FROM keys WHERE state IN ('active', 'pending', 'retiring')"))
        let inToken = try Self.tokenKeyIDs(home)
        #expect(inToken.isSubset(of: recorded), "unrecorded keys: \(inToken.subtracting(recorded))")
        #expect(try Self.sql(home, "SELECT COUNT(*) FROM keys WHERE state = 'pending'") == ["1"])

        // The next start reconciles: the pending key is destroyed and marked abandoned.
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home], environment: ["SIGNET_HSM_PIN": nil]), "init after crash")
        #expect(try Self.sql(home, "SELECT COUNT(*) FROM keys WHERE state = 'pending'") == ["0"])
        #expect(try Self.sql(home, "SELECT COUNT(*) FROM keys WHERE state = 'abandoned'") == ["1"])
        #expect(try Self.tokenKeyIDs(home) == Set(try Self.sql(home, "SELECT id FROM keys WHERE state = 'active'")))

        // And the rotation then succeeds: the new issuer is active, the old one retiring.
        let rotated = try OpenSSL.check(ProcessRunner.signet(["rotate", "--issuer", "issuing-ca-1", "--home", home], environment: ["SIGNET_HSM_PIN": nil]), "rotate")
        #expect(rotated.output.contains("issuing-ca-1 → issuing-ca-"))
        #expect(try Self.sql(home, "SELECT state FROM authorities WHERE name = 'issuing-ca-1'") == ["retiring"])
        #expect(try Self.sql(home, "SELECT COUNT(*) FROM authorities WHERE profile = 'issuing-ca' AND state = 'active'") == ["1"])
        #expect(try Self.tokenKeyIDs(home) == Set(try Self.sql(home, "SELECT id FROM keys WHERE state = 'active'")))
    }

    @Test("signet sign: a detached CMS signature made through the API verifies with openssl cms; its timestamp with openssl ts")
    func signThroughSignet() async throws {
        let (home, work) = try Self.makeHome()
        let server = try ServerProcess(home: home)
        defer { server.stop() }
        let token = try OpenSSL.check(ProcessRunner.signet(["token", "create", "--role", "ci", "--team", "payments", "--name", "pipeline", "--home", home]), "token")
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
        let root = work + "/root.pem"
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "export")
        let file = work + "/release.tar"
        try Data((0..<10_000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: file))
        let env: [String: String?] = ["SIGNET_TOKEN": token, "SIGNET_URL": server.baseURL, "SIGNET_HSM_PIN": nil]

        let plain = work + "/release.p7s"
        let signed = try OpenSSL.check(ProcessRunner.signet(["sign", "--release", "v2.0.0-rc.1", "--in", file, "--out", plain], environment: env), "sign")
        // `signet release-key` with the same token names the key that signed.
        let keyID = try #require(signed.output.components(separatedBy: " key ").last?.split(separator: ":").first.map(String.init))
        let releaseKey = try OpenSSL.check(ProcessRunner.signet(["release-key", "--release", "v2.0.0-rc.1"], environment: env), "release-key")
        #expect(releaseKey.output.hasPrefix("Key \(keyID) for release v2.0.0-rc.1 (team payments)"), "\(releaseKey.output)")
        let verify = try ProcessRunner.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", plain, "-content", file, "-CAfile", root,
                                                       "-purpose", "any", "-out", "/dev/null"])
        #expect(verify.succeeded && verify.stderr.contains("Verification successful"), "\(verify.stderr)")
        // A different file does not verify against the signature.
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: work + "/other.tar"))
        let tampered = try ProcessRunner.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", plain, "-content", work + "/other.tar",
                                                         "-CAfile", root, "-purpose", "any", "-out", "/dev/null"])
        #expect(!tampered.succeeded)

        let stamped = work + "/release-ts.p7s"
        try OpenSSL.check(ProcessRunner.signet(["sign", "--release", "v2.0.0-rc.1", "--in", file, "--out", stamped, "--timestamp"], environment: env), "sign --timestamp")
        let verifyStamped = try ProcessRunner.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", stamped, "-content", file, "-CAfile", root,
                                                              "-purpose", "any", "-out", "/dev/null"])
        #expect(verifyStamped.succeeded, "\(verifyStamped.stderr)")
        // Pull the token out of the unsigned attributes and let openssl ts check it covers the signature value.
        let signedData = try ContentInfo(derEncoded: Array(try Data(contentsOf: URL(fileURLWithPath: stamped)))).signedData()
        let signerInfo = try #require(signedData.signerInfos.first)
        let timestampToken = try #require(try signerInfo.timeStampToken())
        let tokenPath = work + "/token.der", signaturePath = work + "/signature.bin"
        try Data(try timestampToken.derBytes()).write(to: URL(fileURLWithPath: tokenPath))
        try Data(signerInfo.signature).write(to: URL(fileURLWithPath: signaturePath))
        let tsVerify = try ProcessRunner.run("openssl", ["ts", "-verify", "-token_in", "-in", tokenPath, "-data", signaturePath, "-CAfile", root])
        #expect(tsVerify.output.contains("Verification: OK"), "\(tsVerify.output) \(tsVerify.stderr)")

        // The same release keeps its key; both signatures name the same certificate.
        let first = try ContentInfo(derEncoded: Array(try Data(contentsOf: URL(fileURLWithPath: plain)))).signedData().signerInfos[0].sid
        #expect(first == signerInfo.sid)
        // Without a token, nothing is signed.
        let noToken = try ProcessRunner.signet(["sign", "--release", "v2", "--in", file, "--out", work + "/x.p7s"], environment: ["SIGNET_TOKEN": nil, "SIGNET_URL": server.baseURL])
        #expect(!noToken.succeeded && noToken.stderr.contains("SIGNET_TOKEN"))
    }

    @Test("signet init after a forced rotation of the issuing CA changes nothing: no second TSA, no new authority, key or audit entry")
    func initAfterRotationChangesNothing() throws {
        let (home, _) = try Self.makeHome()
        try OpenSSL.check(ProcessRunner.signet(["rotate", "--issuer", "issuing-ca-1", "--home", home], environment: ["SIGNET_HSM_PIN": nil]), "rotate")
        func state() throws -> [String] {
            try Self.sql(home, "SELECT name || ':' || state FROM authorities ORDER BY name")
                + Self.sql(home, "SELECT id || ':' || state FROM keys ORDER BY id")
                + Self.sql(home, "SELECT COUNT(*) FROM audit_log")
        }
        let before = try state()
        let again = try OpenSSL.check(ProcessRunner.signet(["init", "--home", home], environment: ["SIGNET_HSM_PIN": nil]), "init again")
        #expect(try state() == before, "init changed the home: \(again.output)")
        #expect(try Self.sql(home, "SELECT name FROM authorities WHERE profile = 'timestamping' AND state = 'active'") == ["timestamping-1"])
        #expect(try Self.tokenKeyIDs(home) == Set(try Self.sql(home, "SELECT id FROM keys WHERE state = 'active'")))
    }

    @Test("a CA made by `signet rotate` beside a running server has its CRL served from the first request, and what it issues passes Java's CRL-only PKIX validation at once")
    func rotatedIssuerCRLServedAtOnce() async throws {
        let s = try TimestampInteropTests.setup()
        defer { s.server.stop() }
        let rotated = try OpenSSL.check(s.signet(["rotate", "--issuer", "issuing-ca-1"]), "rotate")
        #expect(rotated.output.contains("issuing-ca-1 → issuing-ca-2"), "\(rotated.output)")
        // The first request after the other process committed the new CA.
        let crl = try await HTTPClient.request(s.server.baseURL + "/crl/issuing-ca-2.crl")
        #expect(crl.status == 200, "the new issuer's CRL is not served: \(crl.status) \(crl.text)")
        let issuing2 = s.work + "/issuing-ca-2.pem", crlFile = s.work + "/issuing-ca-2.crl"
        try OpenSSL.check(s.signet(["ca", "export", "issuing-ca-2", "--pem", "--out", issuing2]), "export")
        try Data(crl.body).write(to: URL(fileURLWithPath: crlFile))
        let checked = try ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-CAfile", issuing2, "-noout", "-crlnumber"])
        #expect(checked.stderr.contains("verify OK") && checked.output.contains("crlNumber=0x"), "\(checked.output) \(checked.stderr)")

        // A certificate from the new CA, issued by yet another process, validates at once with CRLs only.
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: TestEnvironment.temporaryDirectory("dev", in: s.work))
        let chain = s.work + "/leaf-chain.pem"
        try OpenSSL.check(s.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--out", chain]), "issue")
        let issuer = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", chain, "-noout", "-issuer", "-serial"]), "x509").output
        #expect(issuer.contains("issuing-ca-2") || issuer.contains("Issuing CA 2"), "\(issuer)")
        let valid = try JavaPKIX.validateWithCRLs(rootPEM: s.root, chainPEM: chain)
        #expect(valid.output.contains("VALID") && valid.succeeded, "\(valid.output) \(valid.stderr)")

        // The same validation fails once the certificate is revoked: the check above really used the CRL.
        let serial = try #require(issuer.split(separator: "\n").first { $0.hasPrefix("serial=") }?.dropFirst("serial=".count)).lowercased()
        try OpenSSL.check(s.signet(["revoke", String(serial), "--reason", "keyCompromise"]), "revoke")
        var revoked: ProcessResult?
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(250))
            let crlNow = try await HTTPClient.request(s.server.baseURL + "/crl/issuing-ca-2.crl")
            try Data(crlNow.body).write(to: URL(fileURLWithPath: crlFile))
            let text = try ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-noout", "-text"]).output
            if text.uppercased().contains(String(serial).uppercased()) {
                revoked = try JavaPKIX.validateWithCRLs(rootPEM: s.root, chainPEM: chain)
                break
            }
        }
        let refused = try #require(revoked, "the revocation never reached the served CRL")
        #expect(!refused.succeeded && refused.output.contains("revoked"), "\(refused.output) \(refused.stderr)")
    }
}
