import Foundation
import SignetTestSupport
import Testing

/// What a running `signet serve` does when what it stands on fails: PKCS#11 errors injected at the
/// module boundary (a module that wraps the real SoftHSM2 and fails on command) and a full disk under
/// the home. Each failure answers with a clear 503 (or the protocol's own error), records nothing as
/// issued, and heals without a restart.
@Suite(.serialized) struct FaultInjectionTests {
    struct Setup {
        let home: String
        let work: String
        let server: ServerProcess
        let token: String
        let csr: String
        let control: FaultyPKCS11.Control

        func issue() async throws -> HTTPClient.Response {
            try await HTTPClient.json(server.baseURL + "/api/v1/certificates", token: token, ["profile": "prerelease-codesign", "csr": csr])
        }

        func sql(_ query: String) throws -> String {
            try OpenSSL.check(ProcessRunner.run("sqlite3", [home + "/signet.db", query]), "sqlite3").output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        var validCertificates: Int { Int((try? sql("SELECT COUNT(*) FROM certificates WHERE status = 'valid'")) ?? "") ?? -1 }
    }

    /// A home made with the real SoftHSM2, then switched to the fault-injecting module, and a server on it.
    static func setup(home providedHome: String? = nil, serverEnvironment: [String: String?] = [:]) throws -> Setup {
        let work = TestEnvironment.temporaryDirectory("faults")
        let home = providedHome ?? work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", home + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        try FaultyPKCS11.install(in: home)
        let control = FaultyPKCS11.Control()
        let token = try OpenSSL.check(ProcessRunner.signet(["token", "create", "--role", "developer", "--team", "payments", "--name", "alice", "--home", home]),
                                      "token").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let (csrPath, _) = try OpenSSL.makeCSR("ec:P-256", in: TestEnvironment.temporaryDirectory("dev", in: work))
        let server = try ServerProcess(home: home, environment: control.environment.merging(serverEnvironment) { $1 })
        return Setup(home: home, work: work, server: server, token: token, csr: try String(contentsOfFile: csrPath, encoding: .utf8), control: control)
    }

    static func expectUnavailable(_ response: HTTPClient.Response, code: String, _ what: String) {
        #expect(response.status == 503, "\(what): \(response.status) \(response.text)")
        let error = response.json["error"] as? [String: Any]
        #expect(error?["code"] as? String == code, "\(what): \(response.text)")
        #expect(response.headers["retry-after"] != nil, "\(what): no Retry-After")
        // The detail (CKR codes, SQLite's text, paths) is for the log, not the client.
        let message = error?["message"] as? String ?? ""
        for leaked in ["CKR_", "SQLite", "/tmp", "signet.db", "C_Sign"] {
            #expect(!message.contains(leaked), "\(what): the body carries internal text: \(message)")
        }
    }

    @Test("a failing C_Sign, dropped sessions and a vanished token: 503 hsm_unavailable, the protocols' own errors, nothing issued, healed without a restart")
    func pkcs11Faults() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let baseline = s.validCertificates
        #expect(try await s.issue().status == 201)

        // OCSP and TSA requests that need a fresh signature.
        let issuing = s.work + "/issuing.pem", leaf = s.work + "/leaf.pem"
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "issuing", "--pem", "--out", issuing, "--home", s.home]), "export")
        let issued = try await s.issue()
        try (issued.json["certificate"] as? String ?? "").write(toFile: leaf, atomically: true, encoding: .utf8)
        let ocspRequest = s.work + "/ocsp.der", tsaQuery = s.work + "/query.tsq", artifact = s.work + "/artifact"
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", issuing, "-cert", leaf, "-reqout", ocspRequest]), "ocsp request")
        try Data("artifact".utf8).write(to: URL(fileURLWithPath: artifact))
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", artifact, "-sha256", "-cert", "-out", tsaQuery]), "ts query")
        func ocspStatus() async throws -> String {
            let response = try await HTTPClient.request(s.server.baseURL + "/ocsp", method: "POST", headers: ["Content-Type": "application/ocsp-request"],
                                                        body: Array(try Data(contentsOf: URL(fileURLWithPath: ocspRequest))))
            let file = s.work + "/ocsp-response.der"
            try Data(response.body).write(to: URL(fileURLWithPath: file))
            let text = try ProcessRunner.run("openssl", ["ocsp", "-respin", file, "-resp_text", "-noverify"])
            return text.output + text.stderr
        }
        func tsaStatus() async throws -> String {
            let response = try await HTTPClient.request(s.server.baseURL + "/tsa", method: "POST", headers: ["Content-Type": "application/timestamp-query"],
                                                        body: Array(try Data(contentsOf: URL(fileURLWithPath: tsaQuery))))
            let file = s.work + "/reply.tsr"
            try Data(response.body).write(to: URL(fileURLWithPath: file))
            return try ProcessRunner.run("openssl", ["ts", "-reply", "-in", file, "-text"]).output
        }
        #expect(try await ocspStatus().contains("Response Status: successful"))
        #expect(try await tsaStatus().contains("Status: Granted"))
        let healthy = s.validCertificates
        #expect(healthy == baseline + 2)

        // C_Sign fails: no certificate, an OCSP tryLater, a TSA rejection; the server stays up.
        s.control.set(.signFails)
        Self.expectUnavailable(try await s.issue(), code: "hsm_unavailable", "issuance while C_Sign fails")
        #expect(try await ocspStatus().contains("trylater"))
        let rejected = try await tsaStatus()
        #expect(rejected.contains("Failure info: the request cannot be handled due to system failure"), "\(rejected)")
        #expect(try await HTTPClient.request(s.server.baseURL + "/healthz").status == 200)
        #expect(s.validCertificates == healthy, "a certificate was recorded as issued while the HSM could not sign")

        // A revocation is recorded while the HSM cannot sign its CRL: the answer is 200, and the failed
        // publishing is logged and counted, not swallowed; the CRL follows once the HSM is back.
        let admin = try OpenSSL.check(ProcessRunner.signet(["token", "create", "--role", "admin", "--name", "root-admin", "--home", s.home]),
                                      "token").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let revokedSerial = try #require(issued.json["serial"] as? String)
        let revoked = try await HTTPClient.json(s.server.baseURL + "/api/v1/certificates/\(revokedSerial)/revoke", token: admin, ["reason": "keyCompromise"])
        #expect(revoked.status == 200, "\(revoked.text)")
        var failures = 0.0
        for _ in 0..<40 where failures < 2 {
            let metrics = try await HTTPClient.request(s.server.baseURL + "/metrics").text
            failures = PrometheusText.value(of: "signet_background_failures_total{task=\"crl_publish\"}", in: metrics) ?? 0
            if failures < 2 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(failures >= 2, "CRL publishing failed while C_Sign failed: counted at the revocation and again by the publishing loop")
        #expect(s.server.stderrText.contains("background task failed") && s.server.stderrText.contains("crl_publish"))

        // Healed: the next request signs again, without a restart, and the CRL lists the revocation.
        s.control.set(.none)
        #expect(try await s.issue().status == 201)
        #expect(try await tsaStatus().contains("Status: Granted"))
        var listed = false
        for _ in 0..<40 where !listed {
            let crl = try await HTTPClient.request(s.server.baseURL + "/crl/issuing-ca-1.crl")
            let file = s.work + "/issuing.crl"
            try Data(crl.body).write(to: URL(fileURLWithPath: file))
            let text = try ProcessRunner.run("openssl", ["crl", "-inform", "DER", "-in", file, "-noout", "-text"]).output
            listed = text.uppercased().contains(revokedSerial.uppercased())
            if !listed { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(listed, "the CRL re-signed after the HSM came back lists the certificate revoked while it was down")

        // The token drops every session (and the login): the pool opens new ones and the request succeeds.
        s.control.set(.dropSessions(generation: 1))
        #expect(try await s.issue().status == 201)
        #expect(try await ocspStatus().contains("Response Status: successful"))
        s.control.set(.dropSessions(generation: 2))
        #expect(try await tsaStatus().contains("Status: Granted"))

        // The token is gone: 503 until it is back, then service resumes.
        s.control.set(.tokenGone)
        let before = s.validCertificates
        for _ in 0..<3 { Self.expectUnavailable(try await s.issue(), code: "hsm_unavailable", "issuance with the token gone") }
        #expect(try await ocspStatus().contains("trylater"))
        #expect(try await tsaStatus().contains("Failure info: the request cannot be handled due to system failure"))
        #expect(s.validCertificates == before)
        // Monitoring sees it: /healthz is 503 hsm_unavailable and signet_hsm_up 0, while the store is up.
        let down = try await HTTPClient.request(s.server.baseURL + "/healthz")
        #expect(down.status == 503 && down.text.contains("hsm_unavailable"), "\(down.status) \(down.text)")
        let downMetrics = try await HTTPClient.request(s.server.baseURL + "/metrics").text
        #expect(PrometheusText.value(of: "signet_hsm_up", in: downMetrics) == 0 && PrometheusText.value(of: "signet_store_up", in: downMetrics) == 1)
        s.control.set(.none)
        #expect(try await HTTPClient.request(s.server.baseURL + "/healthz").status == 200)
        #expect(PrometheusText.value(of: "signet_hsm_up", in: try await HTTPClient.request(s.server.baseURL + "/metrics").text) == 1)
        #expect(try await s.issue().status == 201)
        #expect(try await tsaStatus().contains("Status: Granted"))
        #expect(try await ocspStatus().contains("Response Status: successful"))
        #expect(s.server.process.isRunning)
        // Every failed attempt left at most a pending reservation, never a valid certificate.
        #expect(s.validCertificates == before + 1)
    }

    @Test("a full disk under the home refuses issuance with 503 store_unavailable and nothing half-written; freeing space heals it",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root (CI runs as root)"))
    func fullDisk() async throws {
        let mountPoint = TestEnvironment.temporaryDirectory("tmpfs")
        try OpenSSL.check(ProcessRunner.run("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", mountPoint]), "mount tmpfs")
        defer { _ = try? ProcessRunner.run("umount", ["-l", mountPoint]) }
        let s = try Self.setup(home: mountPoint + "/home")
        defer { s.server.stop() }
        #expect(try await s.issue().status == 201)

        // Fill the file system; SQLite's WAL has room left in pages it already holds, so keep issuing
        // until a write needs a new page.
        let filler = mountPoint + "/filler"
        _ = try ProcessRunner.run("dd", ["if=/dev/zero", "of=" + filler, "bs=64k"])
        var accepted: [String] = []
        var refused: HTTPClient.Response?
        for _ in 0..<3_000 {
            let response = try await s.issue()
            if response.status == 201 {
                accepted.append(response.json["serial"] as? String ?? "")
                continue
            }
            refused = response
            break
        }
        let refusal = try #require(refused, "3,000 issuances on a full disk all succeeded")
        Self.expectUnavailable(refusal, code: "store_unavailable", "issuance on a full disk")
        #expect(try await HTTPClient.request(s.server.baseURL + "/healthz").status != 0)
        #expect(s.server.process.isRunning)

        // Space again: issuance resumes without a restart, and everything answered 201 is recorded.
        try FileManager.default.removeItem(atPath: filler)
        var resumed = false
        for _ in 0..<20 where !resumed {
            resumed = try await s.issue().status == 201
            if !resumed { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(resumed, "issuance did not resume after space was freed")
        for serial in accepted.suffix(20) {
            #expect(try s.sql("SELECT status FROM certificates WHERE serial = '\(serial)'") == "valid", "certificate \(serial) was answered 201 but is not recorded")
        }
        let integrity = try s.sql("PRAGMA integrity_check")
        #expect(integrity == "ok")
    }
}
