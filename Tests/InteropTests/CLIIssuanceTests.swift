import Foundation
import SignetTestSupport
import Testing

/// The `signet` binary driven like an operator would, judged by openssl, pkilint and pkcs11-tool.
@Suite struct CLIIssuanceTests {
    /// A home initialised by `signet init` in its own process (with its own SoftHSM2 configuration).
    struct Home {
        let directory: String
        let work: String
        func signet(_ args: [String], env: [String: String?] = [:], stdin: [UInt8]? = nil) throws -> ProcessResult {
            try ProcessRunner.signet(args + ["--home", directory], environment: env.merging(["SIGNET_HSM_PIN": nil]) { a, _ in a }, stdin: stdin)
        }
        func export(_ which: String) throws -> String {
            let path = work + "/\(which).pem"
            try OpenSSL.check(signet(["ca", "export", which, "--pem", "--out", path]), "ca export \(which)")
            return path
        }
        /// Certificates and keys as the store sees them, to prove that refusals change nothing.
        func storeSnapshot() throws -> String {
            try OpenSSL.check(signet(["list", "--json"]), "list").output + (try ProcessRunner.run("sqlite3", [directory + "/signet.db", "SELECT id, state FROM keys ORDER BY id"]).output)
        }
    }

    static func makeHome(profiles: String? = nil) throws -> Home {
        let work = TestEnvironment.temporaryDirectory("cli")
        let home = Home(directory: work + "/home", work: work)
        let args = ["init", "--profiles", profiles ?? TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"]
        try OpenSSL.check(home.signet(args), "signet init")
        return home
    }

    @Test("init is idempotent and keys are sensitive and never extractable in the token")
    func initAndProtection() throws {
        let home = try Self.makeHome()
        let second = try home.signet(["init"])
        #expect(second.succeeded)
        #expect(second.output.contains("already initialised"))
        // Read the token with OpenSC's pkcs11-tool, logged in with the home's PIN (passed by environment).
        let pin = try String(contentsOfFile: home.directory + "/hsm.pin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let env: [String: String?] = ["SOFTHSM2_CONF": home.directory + "/softhsm2.conf", "SIGNET_TEST_PIN": pin]
        let listing = try ProcessRunner.run("pkcs11-tool", ["--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", "signet", "--login",
                                                            "--pin", "env:SIGNET_TEST_PIN", "--list-objects", "--type", "privkey"], environment: env)
        try OpenSSL.check(listing, "pkcs11-tool --list-objects")
        let blocks = listing.output.components(separatedBy: "Private Key Object").dropFirst()
        #expect(blocks.count == 5)  // root, issuing CA, OCSP signer, TSA, audit
        for block in blocks {
            #expect(block.contains("sensitive, always sensitive, never extractable, local"), "\(block)")
        }
        // Without logging in, the private keys are not even visible (CKA_PRIVATE); CKA_VALUE is withheld
        // even when logged in (checked through the module in SignetHSMTests).
        let anonymous = try ProcessRunner.run("pkcs11-tool", ["--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", "signet",
                                                              "--list-objects", "--type", "privkey"], environment: env)
        #expect(!anonymous.output.contains("Private Key Object"))
        #expect(!listing.output.contains(pin) && !listing.stderr.contains(pin))
    }

    @Test("init --listen makes the base URL follow the port; a second init asking for another address is refused and changes nothing")
    func initListen() throws {
        let work = TestEnvironment.temporaryDirectory("cli")
        let home = Home(directory: work + "/home", work: work)
        try OpenSSL.check(home.signet(["init", "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl", "--listen", "127.0.0.1:18080"]), "init --listen")
        let config = try String(contentsOfFile: home.directory + "/config.yaml", encoding: .utf8)
        #expect(config.contains("listen: 127.0.0.1:18080") && config.contains("http://127.0.0.1:18080"), "\(config)")
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let issued = try OpenSSL.check(home.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--json"]), "issue")
        let json = try JSONSerialization.jsonObject(with: Data(issued.stdout)) as! [String: Any]
        try (json["certificate"] as! String).write(toFile: work + "/leaf.pem", atomically: true, encoding: .utf8)
        let text = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", work + "/leaf.pem", "-noout", "-text"]), "x509 -text").output
        #expect(text.contains("OCSP - URI:http://127.0.0.1:18080/ocsp") && text.contains("URI:http://127.0.0.1:18080/crl/issuing-ca-1.crl"), "\(text)")
        #expect(try home.signet(["init", "--listen", "127.0.0.1:18080"]).succeeded)
        let refused = try home.signet(["init", "--listen", "127.0.0.1:18081"])
        #expect(!refused.succeeded && refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("already listens on 127.0.0.1:18080"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: home.directory + "/config.yaml", encoding: .utf8) == config)
    }

    @Test("issued certificates verify with openssl for EC P-256, P-384 and RSA-3072 CSRs and show only codeSigning",
          arguments: ["ec:P-256", "ec:P-384", "rsa:3072"])
    func issueAndVerify(kind: String) throws {
        let home = try Self.makeHome()
        let (csr, _) = try OpenSSL.makeCSR(kind, in: home.work)
        let leaf = home.work + "/leaf.pem"
        let issued = try OpenSSL.check(home.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--json"]), "issue")
        let json = try JSONSerialization.jsonObject(with: Data(issued.stdout)) as! [String: Any]
        try (json["certificate"] as! String).write(toFile: leaf, atomically: true, encoding: .utf8)
        let serial = json["serial"] as! String
        #expect(serial.count == 40 && serial == serial.lowercased())

        let root = try home.export("root"), issuing = try home.export("issuing")
        let verify = try ProcessRunner.run("openssl", ["verify", "-CAfile", root, "-untrusted", issuing, leaf])
        #expect(verify.succeeded, "\(verify.stderr) \(verify.output)")
        let text = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", leaf, "-noout", "-text"]), "x509 -text").output
        #expect(text.contains("X509v3 Basic Constraints: critical\n                CA:FALSE"))
        #expect(text.contains("X509v3 Key Usage: critical\n                Digital Signature\n"))
        #expect(text.contains("X509v3 Extended Key Usage: \n                Code Signing\n"))
        #expect(text.contains("OCSP - URI:http://127.0.0.1:8080/ocsp"))
        #expect(text.contains("CA Issuers - URI:http://127.0.0.1:8080/ca/issuing-ca-1.crt"))
        #expect(text.contains("URI:http://127.0.0.1:8080/crl/issuing-ca-1.crl"))
        #expect(text.contains("Policy: 1.3.6.1.4.1.32473.1.1"))
        #expect(text.contains("X509v3 Subject Key Identifier") && text.contains("X509v3 Authority Key Identifier"))

        let shown = try OpenSSL.check(home.signet(["show", serial, "--json"]), "show").output
        #expect(shown.contains("\"status\" : \"valid\"") && shown.contains("\"team\" : \"payments\""))
        // The serial as openssl prints it (upper case) and as `-text` shows it (colon-separated) names the same certificate.
        let opensslSerial = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", leaf, "-noout", "-serial"]), "x509 -serial")
            .output.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        let colons = stride(from: 0, to: opensslSerial.count, by: 2).map { String(Array(opensslSerial)[$0..<min($0 + 2, opensslSerial.count)]) }.joined(separator: ":")
        for pasted in [opensslSerial, colons] {
            let again = try OpenSSL.check(home.signet(["show", pasted, "--json"]), "show \(pasted)").output
            #expect(again.contains(serial), "show \(pasted)")
        }
        let listed = try OpenSSL.check(home.signet(["list", "--team", "payments"]), "list").output
        #expect(listed.contains(serial))
    }

    @Test("pkilint finds no error in root, issuing, OCSP signer, TSA and leaf certificates")
    func pkilint() throws {
        guard let lint = ProcessRunner.which("lint_pkix_cert") else {
            Issue.record("pkilint is not installed (scripts/install-deps.sh installs it)")
            return
        }
        let home = try Self.makeHome()
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: home.work)
        let leaf = home.work + "/leaf.pem"
        let issued = try OpenSSL.check(home.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments"]), "issue")
        try issued.output.write(toFile: leaf, atomically: true, encoding: .utf8)
        for path in [try home.export("root"), try home.export("issuing"), try home.export("ocsp"), try home.export("tsa"), leaf] {
            let result = try ProcessRunner.run(lint, ["lint", "-s", "WARNING", path])
            #expect(result.succeeded && result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(path): \(result.output) \(result.stderr)")
        }
    }

    @Test("an RSA-3072 issuing CA (chosen by profile) issues certificates openssl verifies")
    func rsaIssuingCA() throws {
        let profiles = try TestEnvironment.profilesVariant(["issuing-ca.yaml": { $0.replacingOccurrences(of: "algorithms: [ec-p256]", with: "algorithms: [rsa-3072]") }])
        let home = try Self.makeHome(profiles: profiles)
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: home.work)
        let leaf = home.work + "/leaf.pem"
        try OpenSSL.check(home.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--out", leaf]), "issue")
        let issuing = try home.export("issuing")
        #expect(try ProcessRunner.run("openssl", ["x509", "-in", issuing, "-noout", "-text"]).output.contains("Public-Key: (3072 bit)"))
        #expect(try ProcessRunner.run("openssl", ["x509", "-in", leaf, "-noout", "-text"]).output.contains("Signature Algorithm: sha256WithRSAEncryption"))
        let verify = try ProcessRunner.run("openssl", ["verify", "-CAfile", try home.export("root"), "-untrusted", issuing, leaf])
        #expect(verify.succeeded, "\(verify.stderr)")
    }

    @Test("bad input gets one line on stderr, a non-zero exit, and changes nothing")
    func badInput() throws {
        let teamProfile = """
            name: payments-only
            kind: code-signing
            issuer: issuing-ca
            key: {source: csr, algorithms: [ec-p256]}
            validity: {default: 1h, max: 1d}
            subject: {common_name: "{requester}"}
            key_usage: [digitalSignature]
            extended_key_usage: [codeSigning]
            certificate_policies: [1.3.6.1.4.1.32473.1.1]
            access: {roles: [admin], teams: [payments]}
            """
        let profiles = try TestEnvironment.profilesVariant([:], extraFiles: ["payments-only.yaml": teamProfile])
        let home = try Self.makeHome(profiles: profiles)
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: home.work)
        let (rsa2048, _) = try OpenSSL.makeCSR("rsa:2048", in: home.work)
        let garbage = home.work + "/garbage.csr"
        try Data("this is not a CSR\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let truncated = home.work + "/truncated.csr"
        let der = try OpenSSL.check(ProcessRunner.run("openssl", ["req", "-in", csr, "-outform", "DER"]), "req -outform DER").stdout
        try Data(der.prefix(der.count - 20)).write(to: URL(fileURLWithPath: truncated))
        let badSignature = home.work + "/badsig.csr"
        var flipped = der
        flipped[flipped.count - 5] ^= 0xff
        try Data(flipped).write(to: URL(fileURLWithPath: badSignature))

        let before = try home.storeSnapshot()
        let issue = ["issue", "--profile", "prerelease-codesign", "--team", "payments", "--csr"]
        let cases: [(String, [String], [String: String?], String)] = [
            ("garbage CSR", issue + [garbage], [:], "Not a PKCS#10"),
            ("truncated CSR", issue + [truncated], [:], "Not a PKCS#10"),
            ("bad CSR signature", issue + [badSignature], [:], "signature"),
            ("missing CSR file", issue + [home.work + "/nope.csr"], [:], "Cannot read CSR"),
            ("validity too long", issue + [csr, "--validity", "8d"], [:], "exceeds profile 'prerelease-codesign' maximum 7d"),
            ("RSA-2048 key", issue + [rsa2048], [:], "rsa-2048"),
            ("wrong team", ["issue", "--profile", "payments-only", "--team", "search", "--csr", csr], [:], "does not allow team 'search'"),
            ("unknown profile", ["issue", "--profile", "nope", "--team", "payments", "--csr", csr], [:], "Unknown profile 'nope'"),
            ("wrong PIN", issue + [csr], ["SIGNET_HSM_PIN": "000000"], "rejected the PIN"),
            ("bad duration", issue + [csr, "--validity", "soon"], [:], "Expected a duration"),
            ("unknown serial", ["show", "00ff"], [:], "No certificate with serial 00ff"),
            ("bad serial", ["revoke", "xyz", "--reason", "keyCompromise"], [:], "1-20 octets in hex"),
        ]
        for (name, args, env, expected) in cases {
            let result = try home.signet(args, env: env)
            #expect(!result.succeeded, "\(name) succeeded")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(name): \(result.stderr)")
            #expect(result.stderr.hasPrefix("signet: ") && result.stderr.contains(expected), "\(name): \(result.stderr)")
            #expect(!result.stderr.contains("000000") || name != "wrong PIN")
        }
        #expect(try home.storeSnapshot() == before)

        // A missing home and a missing PKCS#11 module.
        let noHome = try ProcessRunner.signet(["list", "--home", home.work + "/nowhere"])
        #expect(!noHome.succeeded && noHome.stderr.contains("No Signet home") && noHome.stderr.split(separator: "\n").count == 1)
        let config = home.directory + "/config.yaml"
        let original = try String(contentsOfFile: config, encoding: .utf8)
        try original.replacingOccurrences(of: "libsofthsm2.so", with: "libmissing.so").write(toFile: config, atomically: true, encoding: .utf8)
        let noModule = try home.signet(issue + [csr])
        #expect(!noModule.succeeded && noModule.stderr.contains("PKCS#11 module not found") && noModule.stderr.split(separator: "\n").count == 1, "\(noModule.stderr)")
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try home.storeSnapshot() == before)

        // A broken profile is refused at load with file and line.
        try "name: prerelease-codesign\nkind: code-signing\nvalidity: {max: 7x}\n".write(toFile: profiles + "/prerelease-codesign.yaml", atomically: true, encoding: .utf8)
        let broken = try home.signet(issue + [csr])
        #expect(!broken.succeeded && broken.stderr.contains("prerelease-codesign.yaml:"), "\(broken.stderr)")
        #expect(try home.storeSnapshot() == before)
    }

    @Test("token create: 90 days unless --expires says otherwise; --expires never is the way to a token without expiry, and both say so")
    func tokenExpiry() throws {
        let home = try Self.makeHome()
        let standard = try OpenSSL.check(home.signet(["token", "create", "--role", "auditor"]), "token create")
        #expect(standard.output.hasPrefix("sgt_") && standard.output.split(separator: "\n").count == 1, "stdout is the token alone")
        #expect(standard.stderr.contains("expires at") && standard.stderr.contains("--expires never"), "\(standard.stderr)")
        let json = try OpenSSL.check(home.signet(["token", "create", "--role", "auditor", "--json"]), "token create --json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout)) as! [String: Any]
        let expiry = try #require(ISO8601DateFormatter().date(from: object["expires_at"] as? String ?? ""))
        #expect(abs(expiry.timeIntervalSinceNow - 90 * 86_400) < 600)
        let forever = try OpenSSL.check(home.signet(["token", "create", "--role", "auditor", "--expires", "never", "--json"]), "token create --expires never")
        #expect((try JSONSerialization.jsonObject(with: Data(forever.stdout)) as! [String: Any])["expires_at"] is NSNull)
        let human = try OpenSSL.check(home.signet(["token", "create", "--role", "auditor", "--expires", "never"]), "token create --expires never")
        #expect(human.stderr.contains("never expires"))
        let bad = try home.signet(["token", "create", "--role", "auditor", "--expires", "someday"])
        #expect(!bad.succeeded && bad.stderr.contains("never"), "\(bad.stderr)")
    }
}
