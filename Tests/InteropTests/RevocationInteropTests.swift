import Foundation
import SignetTestSupport
import Testing

/// CRLs and OCSP judged by the real openssl and pkilint, against a running `signet serve`.
@Suite(.serialized) struct RevocationInteropTests {
    struct Setup {
        let home: String
        let work: String
        let server: ServerProcess
        let root: String
        let issuing: String
        func signet(_ args: [String]) throws -> ProcessResult {
            try ProcessRunner.signet(args + ["--home", home], environment: ["SIGNET_HSM_PIN": nil])
        }
        func issue() throws -> (pem: String, serial: String) {
            let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: TestEnvironment.temporaryDirectory("csr", in: work))
            let path = TestEnvironment.temporaryDirectory("leaf", in: work) + "/leaf.pem"
            let result = try OpenSSL.check(signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--json"]), "issue")
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout)) as! [String: Any]
            try (json["certificate"] as! String).write(toFile: path, atomically: true, encoding: .utf8)
            return (path, json["serial"] as! String)
        }
        func ocsp(_ leaf: String, _ extra: [String] = []) throws -> ProcessResult {
            try ProcessRunner.run("openssl", ["ocsp", "-issuer", issuing, "-cert", leaf, "-url", server.baseURL + "/ocsp", "-CAfile", root] + extra)
        }
    }

    static func setup() throws -> Setup {
        let work = TestEnvironment.temporaryDirectory("rev")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        let server = try ServerProcess(home: home)
        let root = work + "/root.pem", issuing = work + "/issuing.pem"
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "export root")
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "issuing", "--pem", "--out", issuing, "--home", home]), "export issuing")
        return Setup(home: home, work: work, server: server, root: root, issuing: issuing)
    }

    static func fetch(_ url: String, to path: String) async throws -> HTTPClient.Response {
        let response = try await HTTPClient.request(url)
        try Data(response.body).write(to: URL(fileURLWithPath: path))
        return response
    }

    @Test("openssl: OCSP says good, then revoked with reason after `signet revoke`, with -nonce, without, and over GET")
    func ocspGoodThenRevoked() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let (leaf, serial) = try s.issue()
        for extra in [["-nonce"], ["-no_nonce"]] {
            let before = try s.ocsp(leaf, extra)
            #expect(before.succeeded && before.output.contains("\(leaf): good"), "\(before.output) \(before.stderr)")
            #expect(before.stderr.contains("Response verify OK"), "\(before.stderr)")
        }
        try OpenSSL.check(s.signet(["revoke", serial, "--reason", "keyCompromise"]), "revoke")
        // The server notices another process's revocation within its 250 ms poll.
        try await Task.sleep(for: .milliseconds(600))
        for extra in [["-nonce"], ["-no_nonce"]] {
            let after = try s.ocsp(leaf, extra)
            #expect(after.output.contains("\(leaf): revoked"), "\(after.output) \(after.stderr)")
            #expect(after.output.contains("Reason: keyCompromise"))
            #expect(after.stderr.contains("Response verify OK"))
        }
        // GET: the URL-encoded base64 of the request (RFC 6960 Appendix A), and base64url too.
        let requestPath = s.work + "/req.der"
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", s.issuing, "-cert", leaf, "-no_nonce", "-reqout", requestPath]), "reqout")
        let der = try Data(contentsOf: URL(fileURLWithPath: requestPath))
        let standard = der.base64EncodedString()
        let encodings = [
            standard.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            standard,
            der.base64URLEncodedForTest,
        ]
        for (index, encoded) in encodings.enumerated() {
            let responsePath = s.work + "/resp\(index).der"
            let response = try await Self.fetch(s.server.baseURL + "/ocsp/" + encoded, to: responsePath)
            #expect(response.status == 200 && response.headers["content-type"] == "application/ocsp-response")
            #expect(response.headers["cache-control"]?.contains("max-age") == true && response.headers["etag"] != nil)
            let verified = try ProcessRunner.run("openssl", ["ocsp", "-respin", responsePath, "-issuer", s.issuing, "-cert", leaf, "-CAfile", s.root])
            #expect(verified.output.contains("revoked") && verified.stderr.contains("Response verify OK"), "\(encoded): \(verified.output) \(verified.stderr)")
        }
    }

    @Test("openssl: the CRL parses, and verify -crl_check reports the revoked leaf as revoked and the good one OK")
    func crlCheck() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let (good, _) = try s.issue()
        let (bad, badSerial) = try s.issue()
        // Revoke through the API: the CRL is re-signed before the next request.
        let admin = try OpenSSL.check(ProcessRunner.signet(["token", "create", "--role", "admin", "--home", s.home]), "token").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let revoked = try await HTTPClient.json(s.server.baseURL + "/api/v1/certificates/\(badSerial)/revoke", token: admin, ["reason": "superseded"])
        #expect(revoked.status == 200)
        try await Task.sleep(for: .milliseconds(300))
        let crl = s.work + "/issuing.crl"
        let fetched = try await Self.fetch(s.server.baseURL + "/crl/issuing-ca-1.crl", to: crl)
        #expect(fetched.headers["content-type"] == "application/pkix-crl")
        let text = try OpenSSL.check(ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", crl, "-noout", "-text"]), "crl -text").output
        #expect(text.contains("Serial Number: \(badSerial.uppercased())"))
        #expect(text.contains("Superseded"))
        #expect(text.contains("X509v3 CRL Number"))
        let crlPEM = s.work + "/issuing-crl.pem"
        try OpenSSL.check(ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", crl, "-out", crlPEM]), "crl -out")
        let rootCRL = s.work + "/root.crl", rootCRLPEM = s.work + "/root-crl.pem"
        _ = try await Self.fetch(s.server.baseURL + "/crl/root-ca-1.crl", to: rootCRL)
        try OpenSSL.check(ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", rootCRL, "-out", rootCRLPEM]), "root crl")
        let okVerify = try ProcessRunner.run("openssl", ["verify", "-crl_check_all", "-CAfile", s.root, "-untrusted", s.issuing, "-CRLfile", crlPEM, "-CRLfile", rootCRLPEM, good])
        #expect(okVerify.succeeded && okVerify.output.contains("OK"), "\(okVerify.output) \(okVerify.stderr)")
        let badVerify = try ProcessRunner.run("openssl", ["verify", "-crl_check", "-CAfile", s.root, "-untrusted", s.issuing, "-CRLfile", crlPEM, bad])
        #expect(!badVerify.succeeded)
        #expect((badVerify.output + badVerify.stderr).contains("certificate revoked"), "\(badVerify.output) \(badVerify.stderr)")
        // `signet crl publish` writes the same kind of file, atomically, for every issuer.
        let published = try OpenSSL.check(s.signet(["crl", "publish"]), "crl publish").output
        #expect(published.contains("issuing-ca-1.crl") && published.contains("root-ca-1.crl"))
        let onDisk = try OpenSSL.check(ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", s.work + "/crl/issuing-ca-1.crl", "-noout", "-text"]), "crl file").output
        #expect(onDisk.contains(badSerial.uppercased()))
    }

    @Test("pkilint: lint_crl and lint_ocsp_response report no ERROR or FATAL")
    func pkilint() async throws {
        guard let lintCRL = ProcessRunner.which("lint_crl"), let lintOCSP = ProcessRunner.which("lint_ocsp_response") else {
            Issue.record("pkilint is not installed (scripts/install-deps.sh installs it)")
            return
        }
        let s = try Self.setup()
        defer { s.server.stop() }
        let (leaf, serial) = try s.issue()
        try OpenSSL.check(s.signet(["revoke", serial, "--reason", "keyCompromise"]), "revoke")
        try await Task.sleep(for: .milliseconds(600))
        for issuer in ["issuing-ca-1", "root-ca-1"] {
            let crl = s.work + "/\(issuer).crl"
            _ = try await Self.fetch(s.server.baseURL + "/crl/\(issuer).crl", to: crl)
            let lint = try ProcessRunner.run(lintCRL, ["lint", "-t", "CRL", "-p", "PKIX", "-s", "ERROR", crl])
            #expect(lint.succeeded && lint.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(issuer): \(lint.output) \(lint.stderr)")
        }
        let responsePath = s.work + "/resp.der"
        let ocsp = try s.ocsp(leaf, ["-respout", responsePath])
        #expect(ocsp.succeeded)
        let lint = try ProcessRunner.run(lintOCSP, ["lint", "-s", "ERROR", responsePath])
        #expect(lint.succeeded && lint.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(lint.output) \(lint.stderr)")
    }

    @Test("bad OCSP input gets an OCSP error status with a body, never a crash or a bare 500")
    func ocspBadInput() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let (leaf, _) = try s.issue()
        let requestPath = s.work + "/req.der"
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", s.issuing, "-cert", leaf, "-no_nonce", "-reqout", requestPath]), "reqout")
        let valid = Array(try Data(contentsOf: URL(fileURLWithPath: requestPath)))
        // Many CertIDs: openssl builds a request with 20 copies of the certificate.
        var manyArgs = ["ocsp", "-issuer", s.issuing, "-no_nonce", "-reqout", s.work + "/many.der"]
        for _ in 0..<20 { manyArgs += ["-cert", leaf] }
        try OpenSSL.check(ProcessRunner.run("openssl", manyArgs), "many")
        let many = Array(try Data(contentsOf: URL(fileURLWithPath: s.work + "/many.der")))
        let cases: [(String, [UInt8], UInt8)] = [
            ("garbage", Array("hello, responder".utf8), 1),
            ("truncated", Array(valid.prefix(valid.count / 2)), 1),
            ("empty", [], 1),
            ("too many CertIDs", many, 1),
            ("oversized body", [UInt8](repeating: 0x30, count: 100_000), 1),
        ]
        for (name, body, status) in cases {
            let response = try await HTTPClient.request(s.server.baseURL + "/ocsp", method: "POST", headers: ["Content-Type": "application/ocsp-request"], body: body)
            #expect(response.status == 200, "\(name)")
            #expect(response.headers["content-type"] == "application/ocsp-response", "\(name)")
            // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } : 30 03 0a 01 <status>
            #expect(response.body == [0x30, 0x03, 0x0a, 0x01, status], "\(name): \(response.body)")
        }
        let badGET = try await HTTPClient.request(s.server.baseURL + "/ocsp/%%%not-base64")
        #expect(badGET.status == 200 && badGET.body == [0x30, 0x03, 0x0a, 0x01, 0x01])
        // Still answering.
        #expect(try s.ocsp(leaf).output.contains("good"))
        let unknownCRL = try await HTTPClient.request(s.server.baseURL + "/crl/nope.crl")
        #expect(unknownCRL.status == 404)
    }
}

extension Data {
    var base64URLEncodedForTest: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
