import Foundation
import SignetTestSupport
import Testing

/// `signet serve` as a real process: concurrent issuance judged by openssl, crash safety under kill -9,
/// graceful shutdown, and the README's curl examples run as written.
@Suite(.serialized) struct ServerProcessTests {
    static func makeHome() throws -> (home: String, work: String) {
        let work = TestEnvironment.temporaryDirectory("srv")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"], environment: ["SIGNET_HSM_PIN": nil]), "init")
        return (home, work)
    }

    static func token(_ home: String, _ args: [String]) throws -> String {
        try OpenSSL.check(ProcessRunner.signet(["token", "create", "--home", home] + args), "token create").output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("8 clients × 200 concurrent issuances: every certificate verifies, every serial is unique, the store count matches")
    func concurrentIssuance() async throws {
        let (home, work) = try Self.makeHome()
        let server = try ServerProcess(home: home)
        defer { server.stop() }
        let token = try Self.token(home, ["--role", "ci", "--team", "payments"])
        let (csrPath, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let csr = try String(contentsOfFile: csrPath, encoding: .utf8)
        let url = server.baseURL + "/api/v1/certificates"
        let results = try await withThrowingTaskGroup(of: [(String, String)].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [(String, String)] = []
                    for _ in 0..<200 {
                        let response = try await HTTPClient.json(url, token: token, ["profile": "prerelease-codesign", "csr": csr])
                        guard response.status == 201 else { throw TestFailure("issuance failed: \(response.status) \(response.text)") }
                        mine.append((response.json["serial"] as! String, response.json["certificate"] as! String))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [(String, String)]()) { $0 += $1 }
        }
        #expect(results.count == 1600)
        #expect(Set(results.map(\.0)).count == 1600)
        let root = work + "/root.pem", issuing = work + "/issuing.pem"
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "export")
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "issuing", "--pem", "--out", issuing, "--home", home]), "export")
        let dir = work + "/certs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var paths: [String] = []
        for (serial, pem) in results {
            let path = dir + "/\(serial).pem"
            try pem.write(toFile: path, atomically: false, encoding: .utf8)
            paths.append(path)
        }
        for batch in stride(from: 0, to: paths.count, by: 200) {
            let chunk = Array(paths[batch..<min(batch + 200, paths.count)])
            let verify = try ProcessRunner.run("openssl", ["verify", "-CAfile", root, "-untrusted", issuing] + chunk)
            #expect(verify.succeeded, "\(verify.stderr)")
            #expect(verify.output.components(separatedBy: ": OK").count - 1 == chunk.count)
        }
        let count = try ProcessRunner.run("sqlite3", [home + "/signet.db", "SELECT COUNT(*) FROM certificates WHERE profile = 'prerelease-codesign' AND status = 'valid'"])
        #expect(count.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1600")
    }

    @Test("kill -9 during concurrent issuance loses no certificate a client received; issuance resumes")
    func crashSafety() async throws {
        let (home, work) = try Self.makeHome()
        let server = try ServerProcess(home: home)
        let token = try Self.token(home, ["--role", "ci", "--team", "payments"])
        let (csrPath, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let csr = try String(contentsOfFile: csrPath, encoding: .utf8)
        let url = server.baseURL + "/api/v1/certificates"
        let received = ReceivedSerials()
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while true {
                            guard let response = try? await HTTPClient.json(url, token: token, ["profile": "prerelease-codesign", "csr": csr]) else { return }
                            if response.status == 201, let serial = response.json["serial"] as? String { received.add(serial) }
                        }
                    }
                }
            }
        }
        while received.count < 150 { try await Task.sleep(for: .milliseconds(20)) }
        server.kill()
        await clients.value
        let handedOut = received.all
        #expect(handedOut.count >= 150)

        let restarted = try ServerProcess(home: home)
        defer { restarted.stop() }
        let listed = try OpenSSL.check(ProcessRunner.signet(["list", "--json", "--limit", "100000", "--home", home]), "list")
        let stored = Set(((try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [[String: Any]]) ?? []).compactMap { record -> String? in
            (record["status"] as? String) == "valid" ? record["serial"] as? String : nil
        })
        #expect(handedOut.isSubset(of: stored), "missing: \(handedOut.subtracting(stored))")

        // The store and the token agree: every active key is in the token and nothing else is.
        let pin = try String(contentsOfFile: home + "/hsm.pin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let objects = try OpenSSL.check(ProcessRunner.run("pkcs11-tool", [
            "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", "signet", "--login", "--pin", "env:SIGNET_TEST_PIN",
            "--list-objects", "--type", "privkey"], environment: ["SOFTHSM2_CONF": home + "/softhsm2.conf", "SIGNET_TEST_PIN": pin]), "pkcs11-tool")
        let tokenIDs = Set(objects.output.split(separator: "\n").filter { $0.contains("ID:") }.map { $0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces) })
        let storeIDs = Set(try ProcessRunner.run("sqlite3", [home + "/signet.db", "SELECT id FROM keys WHERE state = 'active'"]).output.split(separator: "\n").map(String.init))
        #expect(tokenIDs == storeIDs)

        let resumed = try await HTTPClient.json(restarted.baseURL + "/api/v1/certificates", token: token, ["profile": "prerelease-codesign", "csr": csr])
        #expect(resumed.status == 201)
    }

    @Test("SIGTERM stops the server cleanly, after a last audit checkpoint over the newest entry")
    func gracefulShutdown() async throws {
        let (home, _) = try Self.makeHome()
        let server = try ServerProcess(home: home)
        let health = try await HTTPClient.request(server.baseURL + "/healthz")
        #expect(health.status == 200)
        _ = try Self.token(home, ["--role", "auditor"])  // a new audit entry, after the server's start-up checkpoint
        #expect(server.stop() == 0)
        let checkpoint = try OpenSSL.check(ProcessRunner.signet(["audit", "checkpoint", "--home", home]), "audit checkpoint")
        #expect(checkpoint.output.contains("already covered"), "the server should have signed a checkpoint on its way out: \(checkpoint.output)")
    }

    @Test("SIGHUP reloads the profiles (a new one is usable at once); a broken file or an orphaned authority is refused and the running set kept; config check agrees")
    func reloadOnHangup() async throws {
        let profiles = try TestEnvironment.profilesVariant([:])
        let work = TestEnvironment.temporaryDirectory("hup")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", profiles, "--crl-dir", work + "/crl"], environment: ["SIGNET_HSM_PIN": nil]), "init")
        let server = try ServerProcess(home: home)
        defer { server.stop() }
        let token = try Self.token(home, ["--role", "developer", "--team", "payments"])
        let (csrPath, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let csr = try String(contentsOfFile: csrPath, encoding: .utf8)
        func issue(_ profile: String) async throws -> Int {
            try await HTTPClient.json(server.baseURL + "/api/v1/certificates", token: token, ["profile": profile, "csr": csr]).status
        }
        func reloads(_ outcome: String) async throws -> Double {
            PrometheusText.value(of: "signet_reloads_total{outcome=\"\(outcome)\"}", in: try await HTTPClient.request(server.baseURL + "/metrics").text) ?? 0
        }
        func hangUpAndWait(for outcome: String) async throws {
            let before = try await reloads(outcome)
            kill(server.process.processIdentifier, SIGHUP)
            for _ in 0..<40 where try await reloads(outcome) <= before { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await reloads(outcome) == before + 1, "SIGHUP should count one \(outcome) reload")
        }
        #expect(try await issue("hotfix-codesign") == 404)

        // A new profile: checked by `signet config check`, then in effect after SIGHUP without a restart.
        let original = try String(contentsOfFile: profiles + "/prerelease-codesign.yaml", encoding: .utf8)
        try original.replacingOccurrences(of: "name: prerelease-codesign", with: "name: hotfix-codesign")
            .write(toFile: profiles + "/hotfix-codesign.yaml", atomically: true, encoding: .utf8)
        let check = try ProcessRunner.signet(["config", "check", "--home", home, "--json"])
        let checked = try JSONSerialization.jsonObject(with: Data(check.stdout)) as? [String: Any]
        #expect(check.succeeded && checked?["valid"] as? Bool == true && (checked?["profiles"] as? [String])?.contains("hotfix-codesign") == true, "\(check.stderr)")
        try await hangUpAndWait(for: "reloaded")
        #expect(try await issue("hotfix-codesign") == 201)

        // A broken profile: config check names file and line; SIGHUP refuses it and the running set stays.
        try "name: broken\nkind: code-signing\nvalidty: {}\n".write(toFile: profiles + "/broken.yaml", atomically: true, encoding: .utf8)
        let refused = try ProcessRunner.signet(["config", "check", "--home", home])
        #expect(!refused.succeeded && refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("broken.yaml:"), "\(refused.stderr)")
        try await hangUpAndWait(for: "refused")
        #expect(try await issue("hotfix-codesign") == 201)
        #expect(server.stderrText.contains("reload on SIGHUP refused"))
        try FileManager.default.removeItem(atPath: profiles + "/broken.yaml")

        // Removing the profile an active authority uses is refused too.
        try FileManager.default.moveItem(atPath: profiles + "/timestamping.yaml", toPath: work + "/timestamping.yaml")
        try await hangUpAndWait(for: "refused")
        #expect(try await issue("prerelease-codesign") == 201)
        try FileManager.default.moveItem(atPath: work + "/timestamping.yaml", toPath: profiles + "/timestamping.yaml")

        // ci-identities.yaml is read with the profiles: a rule for an issuer config.yaml does not list is
        // named by config check and refused by SIGHUP, and the profiles stay as they were.
        let rules = profiles + "/ci-identities.yaml"
        try """
            rules:
              - name: payments-release
                match:
                  issuer: https://token.actions.githubusercontent.com
                  repository: acme/payments
                grant:
                  team: payments
                  profiles: [ci-release]
            """.write(toFile: rules, atomically: true, encoding: .utf8)
        let untrusted = try ProcessRunner.signet(["config", "check", "--home", home])
        #expect(!untrusted.succeeded && untrusted.stderr.split(separator: "\n").count == 1
                && untrusted.stderr.contains("ci-identities.yaml") && untrusted.stderr.contains("token.actions.githubusercontent.com"), "\(untrusted.stderr)")
        try await hangUpAndWait(for: "refused")
        #expect(try await issue("hotfix-codesign") == 201)
        try "rules: []\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let fixed = try ProcessRunner.signet(["config", "check", "--home", home])
        #expect(fixed.succeeded && fixed.output.contains("0 CI identity rules"), "\(fixed.stderr)")
        try await hangUpAndWait(for: "reloaded")
        #expect(server.process.isRunning)
    }

    @Test("--tls-cert/--tls-key serve HTTPS that curl verifies")
    func tlsListener() async throws {
        let (home, work) = try Self.makeHome()
        let cert = work + "/tls.pem", key = work + "/tls.key"
        try OpenSSL.check(ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                                                        "-addext", "subjectAltName=IP:127.0.0.1"]), "openssl req -x509")
        let server = try ServerProcess(home: home, extraArguments: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        let curl = try ProcessRunner.run("curl", ["-sf", "--cacert", cert, "https://127.0.0.1:\(server.port)/healthz"])
        #expect(curl.succeeded && curl.output.contains("\"status\":\"ok\""), "\(curl.stderr)")
        let plain = try ProcessRunner.run("curl", ["-sf", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(!plain.succeeded)
        // Time-stamps over TLS: the first through the router (serials not yet reserved), the rest
        // from the event-loop fast path, which must sit behind TLS like everything else.
        let data = work + "/data.bin", query = work + "/q.tsq"
        try Data("tls".utf8).write(to: URL(fileURLWithPath: data))
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", data, "-sha256", "-out", query]), "ts -query")
        for index in 0..<3 {
            let reply = work + "/r\(index).tsr"
            let posted = try ProcessRunner.run("curl", ["-sf", "--cacert", cert, "-H", "Content-Type: application/timestamp-query",
                                                        "--data-binary", "@" + query, "https://127.0.0.1:\(server.port)/tsa", "-o", reply])
            #expect(posted.succeeded, "\(posted.stderr)")
            let text = try ProcessRunner.run("openssl", ["ts", "-reply", "-in", reply, "-text"])
            #expect(text.output.contains("Status: Granted."), "\(text.output) \(text.stderr)")
        }
        let metrics = try ProcessRunner.run("curl", ["-sf", "--cacert", cert, "https://127.0.0.1:\(server.port)/metrics"]).output
        let answered = PrometheusText.value(of: "signet_fast_path_responses_total{protocol=\"tsa\"}", in: metrics) ?? 0
        #expect(answered >= 2, "the fast path should have answered over TLS: \(answered)")
    }

    @Test("every README example runs as written, in order, in one shell against a live server; every other shell block says why it is not run")
    func readmeExamples() async throws {
        let (home, work) = try Self.makeHome()
        let server = try ServerProcess(home: home)
        defer { server.stop() }
        let readme = try String(contentsOfFile: TestEnvironment.repositoryRoot + "/README.md", encoding: .utf8)
        let lines = readme.components(separatedBy: "\n")
        var script = ["set -euo pipefail"], names: [String] = [], region: String?
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("<!-- example:") {
                region = String(line.dropFirst("<!-- example:".count).dropLast(" -->".count))
                names.append(region!)
                script.append("echo '== README example \(region!)' >&2")
            } else if line.hasPrefix("<!-- /example:") {
                region = nil
            } else if region != nil {
                if !line.hasPrefix("```") { script.append(line) }
            } else if line == "```sh" {
                let previous = index > 0 ? lines[index - 1] : ""
                #expect(previous.hasPrefix("<!-- not run: ") && previous.count > "<!-- not run:  -->".count,
                        "README.md:\(index + 1): a shell block that is neither an example nor marked <!-- not run: reason -->")
            }
        }
        #expect(names == ["host", "api", "revocation", "timestamp", "sign", "audit"], "\(names)")
        let path = work + "/readme.sh"
        try script.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let directory = TestEnvironment.temporaryDirectory("readme", in: work)
        let binDir = URL(fileURLWithPath: ProcessRunner.signetBinary).deletingLastPathComponent().path
        let result = try ProcessRunner.run("/bin/bash", [path], environment: [
            "PATH": binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "SIGNET_HOME": home, "SIGNET_URL": server.baseURL, "SIGNET_HSM_PIN": nil, "SIGNET_TOKEN": nil,
            "SIGNET_CONFIG": work + "/client-config",
        ], directory: directory)
        #expect(result.succeeded, "\(result.output)\n\(result.stderr)")
        #expect(result.stderr.contains("== README example audit"), "the script stopped early: \(result.stderr)")
        #expect(result.output.contains("\"status\":\"revoked\""), "\(result.output)")
        #expect(result.output.contains("dev.pem: revoked") || result.output.contains(": revoked"), "OCSP should say the revoked certificate is revoked: \(result.output)")
        #expect(result.stderr.contains("Verification: OK") || result.output.contains("Verification: OK"), "openssl ts -verify: \(result.output)")
        #expect(result.output.contains("Audit trail intact"), "\(result.output)")
    }
}

final class ReceivedSerials: @unchecked Sendable {
    private let lock = NSLock()
    private var serials = Set<String>()
    func add(_ s: String) { lock.lock(); serials.insert(s); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return serials.count }
    var all: Set<String> { lock.lock(); defer { lock.unlock() }; return serials }
}
