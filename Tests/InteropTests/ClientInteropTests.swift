import Foundation
import SignetTestSupport
import Testing

/// `signet` as a client, tried as a new user would: a client directory with no CA home and no HSM PIN,
/// against a live `signet serve`, judged by osslsigncode, jarsigner, keytool and openssl. Every exit
/// status of the README's table is provoked once.
@Suite(.serialized) struct ClientInteropTests {
    /// A CA host (home, running server, tokens) and a client directory that knows nothing of it.
    struct Setup {
        let work: String
        let home: String
        let server: ServerProcess
        let client: String
        let fingerprint: String
        var tokens: [String: String] = [:]
        var url: String { server.baseURL }
        var configPath: String { client + "/signet/config.yaml" }

        /// The operator's side: commands on the CA home.
        func host(_ args: [String]) throws -> ProcessResult {
            try ProcessRunner.signet(args + ["--home", home], environment: ["SIGNET_HSM_PIN": nil, "SIGNET_TOKEN": nil])
        }

        /// The user's side: run from the client directory with only a client configuration, a token and a keystore password.
        func signet(_ args: [String], token: String? = nil, env: [String: String?] = [:]) throws -> ProcessResult {
            var environment: [String: String?] = [
                "HOME": client, "XDG_CONFIG_HOME": client, "SIGNET_CONFIG": nil, "SIGNET_HOME": nil, "SIGNET_HSM_PIN": nil, "SIGNET_URL": nil,
                "SIGNET_TOKEN": token.map { tokens[$0] ?? $0 }, "SIGNET_P12_PASSWORD": Setup.keystorePassword,
            ]
            for (key, value) in env { environment[key] = value }
            return try ProcessRunner.run(ProcessRunner.signetBinary, args, environment: environment, directory: client)
        }

        static let keystorePassword = "kp-\(UUID().uuidString)"

        func path(_ name: String) -> String { client + "/" + name }
        func read(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }
    }

    static func freePort() throws -> Int {
        let result = try OpenSSL.check(ProcessRunner.run("python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"]), "free port")
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    /// `signet init` and `signet serve` on a free port (the base URL in the certificates is the real one), plus tokens.
    static func setup(tls: (cert: String, key: String)? = nil, tokens: [String: [String]] = [:]) throws -> Setup {
        let work = TestEnvironment.temporaryDirectory("client")
        let home = work + "/home", client = work + "/laptop"
        try FileManager.default.createDirectory(atPath: client, withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            try? FileManager.default.removeItem(atPath: home)
            let scheme = tls == nil ? "http" : "https"
            let initialised = try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl",
                                                                      "--base-url", "\(scheme)://127.0.0.1:\(port)"], environment: ["SIGNET_HSM_PIN": nil]), "init")
            let printed = try #require(initialised.output.split(separator: "\n").first { $0.hasPrefix("Root fingerprint (SHA-256): ") })
            do {
                let server = try ServerProcess(home: home, fixedListen: "127.0.0.1:\(port)",
                                               extraArguments: tls.map { ["--tls-cert", $0.cert, "--tls-key", $0.key] } ?? [])
                var setup = Setup(work: work, home: home, server: server, client: client, fingerprint: String(printed.split(separator: " ").last!))
                for (name, args) in tokens {
                    setup.tokens[name] = try OpenSSL.check(setup.host(["token", "create", "--name", name] + args), "token").output.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                return setup
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    static let people: [String: [String]] = [
        "alice": ["--role", "developer", "--team", "payments"], "bob": ["--role", "developer", "--team", "payments"],
        "ops": ["--role", "admin"], "eve": ["--role", "auditor"],
        "pipeline": ["--role", "ci", "--team", "payments"],
    ]

    @Test("a developer's laptop: bootstrap, request with --p12, osslsigncode and jarsigner with Signet's TSA, openssl ts fed by /tsa/chain.pem, renew when due, revoke its own only")
    func laptop() throws {
        let s = try Self.setup(tokens: Self.people)
        defer { s.server.stop() }
        // The fingerprint init printed is the one the CA host reports and the root it serves.
        #expect(try OpenSSL.check(s.host(["ca", "fingerprint"]), "fingerprint").output.trimmingCharacters(in: .whitespacesAndNewlines) == s.fingerprint)

        // Nothing configured: the client says how to start.
        let unconfigured = try s.signet(["profiles"], token: "alice")
        #expect(unconfigured.status == 2 && unconfigured.stderr.contains("signet ca bootstrap"), "\(unconfigured.stderr)")

        // Bootstrap: a wrong fingerprint stores nothing; the right one stores URL and root.
        let wrong = String(s.fingerprint.reversed())
        let refused = try s.signet(["ca", "bootstrap", "--url", s.url, "--fingerprint", wrong])
        #expect(refused.status == 7 && refused.stderr.contains("nothing was stored"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.configPath))
        let colons = stride(from: 0, to: 64, by: 2).map { String(s.fingerprint.uppercased().dropFirst($0).prefix(2)) }.joined(separator: ":")
        let bootstrapped = try s.signet(["ca", "bootstrap", "--url", s.url, "--fingerprint", colons])
        #expect(bootstrapped.status == 0, "\(bootstrapped.stderr)")
        #expect(FileManager.default.fileExists(atPath: s.configPath))
        #expect(try s.signet(["ca", "fingerprint"]).output.trimmingCharacters(in: .whitespacesAndNewlines) == s.fingerprint)
        #expect(try s.signet(["ca", "bootstrap", "--url", s.url, "--fingerprint", s.fingerprint]).output.contains("Already trusting"))

        // What alice may ask for.
        let profiles = try s.signet(["profiles", "--json"], token: "alice")
        let listed = try JSONSerialization.jsonObject(with: Data(profiles.stdout)) as? [String: [[String: Any]]]
        #expect(listed?["profiles"]?.map { $0["name"] as? String } == ["prerelease-codesign"], "\(profiles.output) \(profiles.stderr)")

        // Request: key made here (0600), certificate, chain to the root, keystore.
        let requested = try s.signet(["request", "--profile", "prerelease-codesign", "--out", "dev", "--p12", "--json"], token: "alice")
        #expect(requested.status == 0, "\(requested.stderr)")
        let first = try JSONSerialization.jsonObject(with: Data(requested.stdout)) as? [String: Any]
        let serial = try #require(first?["serial"] as? String)
        #expect(first?["key_type"] as? String == "ec-p256")
        #expect(try FileManager.default.attributesOfItem(atPath: s.path("dev.key"))[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: s.path("dev.p12"))[.posixPermissions] as? Int == 0o600)
        let root = s.work + "/root.pem"
        try OpenSSL.check(s.host(["ca", "export", "root", "--pem", "--out", root]), "export root")
        let verified = try ProcessRunner.run("openssl", ["verify", "-CAfile", root, "-untrusted", s.path("dev-chain.pem"), s.path("dev.crt")])
        #expect(verified.succeeded, "\(verified.stderr)")
        #expect(try String(contentsOfFile: s.path("dev-chain.pem"), encoding: .utf8).components(separatedBy: "BEGIN CERTIFICATE").count - 1 == 3)

        // osslsigncode: the key and chain as written, timestamped by Signet's TSA.
        try Data(TinyPE.make()).write(to: URL(fileURLWithPath: s.path("app.exe")))
        try OpenSSL.check(ProcessRunner.run("osslsigncode", ["sign", "-certs", s.path("dev-chain.pem"), "-key", s.path("dev.key"), "-ts", s.url + "/tsa",
                                                              "-h", "sha256", "-in", s.path("app.exe"), "-out", s.path("app-signed.exe")]), "osslsigncode sign")
        let authenticode = try ProcessRunner.run("osslsigncode", ["verify", "-CAfile", root, "-TSA-CAfile", root, "-in", s.path("app-signed.exe")])
        #expect(authenticode.succeeded, "\(authenticode.output) \(authenticode.stderr)")
        #expect(authenticode.output.contains("Signature verification: ok") && authenticode.output.contains("Timestamp Server Signature verification: ok"))

        // jarsigner: the keystore as written (alias = the --out name), password from the environment, -tsa Signet.
        try FileManager.default.createDirectory(atPath: s.path("jar"), withIntermediateDirectories: true)
        try "hello\n".write(toFile: s.path("jar/hello.txt"), atomically: true, encoding: .utf8)
        try OpenSSL.check(ProcessRunner.run("jar", ["cf", s.path("app.jar"), "-C", s.path("jar"), "hello.txt"]), "jar")
        let env: [String: String?] = ["SIGNET_P12_PASSWORD": Setup.keystorePassword]
        try OpenSSL.check(ProcessRunner.run("jarsigner", ["-keystore", s.path("dev.p12"), "-storetype", "PKCS12", "-storepass:env", "SIGNET_P12_PASSWORD",
                                                           "-tsa", s.url + "/tsa", "-signedjar", s.path("app-signed.jar"), s.path("app.jar"), "dev"], environment: env), "jarsigner")
        let jarVerify = try ProcessRunner.run("jarsigner", ["-verify", "-verbose", "-certs", s.path("app-signed.jar")])
        #expect(jarVerify.output.contains("jar verified."), "\(jarVerify.output)")
        #expect(jarVerify.output.contains("Timestamped by \"CN=Signet Timestamp Authority 1"), "\(jarVerify.output)")

        // A relying party with nothing but HTTP: the root and the TSA's chain from Signet feed `openssl ts -verify`.
        // The query asks for no certificate in the token, so the TSA's own certificate must come from /tsa/chain.pem.
        let servedRoot = s.path("served-root.pem"), tsaChain = s.path("tsa-chain.pem")
        try OpenSSL.check(ProcessRunner.run("curl", ["-sf", s.url + "/ca/root.pem", "-o", servedRoot]), "curl /ca/root.pem")
        try OpenSSL.check(ProcessRunner.run("curl", ["-sf", s.url + "/tsa/chain.pem", "-o", tsaChain]), "curl /tsa/chain.pem")
        let servedFingerprint = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", servedRoot, "-noout", "-fingerprint", "-sha256"]), "fingerprint").output
        #expect(servedFingerprint.replacingOccurrences(of: ":", with: "").lowercased().contains(s.fingerprint), "\(servedFingerprint)")
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", s.path("app.exe"), "-sha256", "-out", s.path("app.tsq")]), "ts -query")
        try OpenSSL.check(ProcessRunner.run("curl", ["-sf", "-H", "Content-Type: application/timestamp-query", "--data-binary", "@" + s.path("app.tsq"),
                                                     s.url + "/tsa", "-o", s.path("app.tsr")]), "curl /tsa")
        let tsVerified = try ProcessRunner.run("openssl", ["ts", "-verify", "-data", s.path("app.exe"), "-in", s.path("app.tsr"), "-CAfile", servedRoot, "-untrusted", tsaChain])
        #expect(tsVerified.output.contains("Verification: OK"), "\(tsVerified.output) \(tsVerified.stderr)")

        // A CI runner: the release key stays in Signet's HSM; `signet sign` finds Signet and checks the timestamp
        // by the bootstrapped URL and root alone (no --url, no home).
        let ciSigned = try s.signet(["sign", "--release", "v9.0.0", "--in", "app.exe", "--out", "app.p7s", "--timestamp", "--json"], token: "pipeline")
        #expect(ciSigned.status == 0, "\(ciSigned.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: Data(ciSigned.stdout)) as? [String: Any])?["timestamped"] as? Bool == true, "\(ciSigned.output)")
        let cms = try ProcessRunner.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", s.path("app.p7s"), "-content", s.path("app.exe"),
                                                    "-CAfile", servedRoot, "-purpose", "any", "-out", "/dev/null"])
        #expect(cms.succeeded && cms.stderr.contains("Verification successful"), "\(cms.stderr)")

        // An existing --out is refused and nothing changes; --force replaces.
        let before = [s.read("dev.key"), s.read("dev.crt"), s.read("dev-chain.pem"), s.read("dev.p12")]
        let again = try s.signet(["request", "--profile", "prerelease-codesign", "--out", "dev", "--p12"], token: "alice")
        #expect(again.status == 5 && again.stderr.contains("--force"), "\(again.stderr)")
        #expect([s.read("dev.key"), s.read("dev.crt"), s.read("dev-chain.pem"), s.read("dev.p12")] == before)

        // Renew: not due within 8 h of a 24 h certificate (exit 0, nothing touched), due within 48 h.
        let notDue = try s.signet(["renew", "dev.crt", "--key", "dev.key", "--if-expiring-within", "8h"], token: "alice")
        #expect(notDue.status == 0 && notDue.output.contains("Not due"), "\(notDue.stderr)")
        #expect(s.read("dev.crt") == before[1])
        let renewed = try s.signet(["renew", "dev.crt", "--key", "dev.key", "--if-expiring-within", "48h", "--json"], token: "alice")
        #expect(renewed.status == 0, "\(renewed.stderr)")
        let renewal = try JSONSerialization.jsonObject(with: Data(renewed.stdout)) as? [String: Any]
        let newSerial = try #require(renewal?["serial"] as? String)
        #expect(renewal?["previous_serial"] as? String == serial && newSerial != serial)
        #expect(s.read("dev.key") == before[0] && s.read("dev.crt") != before[1] && s.read("dev.p12") != before[3])
        let keystore = try OpenSSL.check(ProcessRunner.run("openssl", ["pkcs12", "-in", s.path("dev.p12"), "-nokeys", "-clcerts", "-passin", "env:SIGNET_P12_PASSWORD"],
                                                           environment: env), "pkcs12").output
        let inKeystore = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-noout", "-serial"], stdin: Array(keystore.utf8)), "x509").output
        #expect(inKeystore.lowercased().contains(newSerial), "\(inKeystore)")

        // Revoke: bob may not revoke alice's certificate; alice may.
        let bobs = try s.signet(["revoke", newSerial, "--reason", "keyCompromise"], token: "bob")
        #expect(bobs.status == 3 && bobs.stderr.contains("forbidden"), "\(bobs.stderr)")
        #expect(try s.host(["show", newSerial, "--json"]).output.contains("\"status\" : \"valid\""))
        let own = try s.signet(["revoke", newSerial, "--reason", "superseded", "--json"], token: "alice")
        #expect(own.status == 0, "\(own.stderr)")
        let revokedRecord = try JSONSerialization.jsonObject(with: Data(own.stdout)) as? [String: Any]
        #expect(revokedRecord?["serial"] as? String == newSerial && revokedRecord?["status"] as? String == "revoked", "\(own.output)")
        #expect(try s.host(["show", newSerial, "--json"]).output.contains("\"status\" : \"revoked\""))
        // Renewing a revoked certificate is refused.
        #expect(try s.signet(["renew", "dev.crt", "--key", "dev.key"], token: "alice").status == 4)
    }

    @Test("each exit status once: 1 not Signet, 2 usage, 3 not allowed, 4 refused, 5 not found, 6 unreachable, 7 another Signet's root; nothing half-written")
    func exitStatuses() throws {
        let s = try Self.setup(tokens: Self.people)
        defer { s.server.stop() }
        #expect(try s.signet(["ca", "bootstrap", "--url", s.url, "--fingerprint", s.fingerprint]).status == 0)
        func request(_ extra: [String], token: String? = "alice", env: [String: String?] = [:]) throws -> ProcessResult {
            try s.signet(["request", "--profile", "prerelease-codesign", "--out", "x"] + extra, token: token, env: env)
        }
        func nothingWritten(_ sourceLocation: SourceLocation = #_sourceLocation) throws {
            let left = try FileManager.default.contentsOfDirectory(atPath: s.client).filter { $0.hasPrefix("x") || $0.hasPrefix(".x") }
            #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
        }

        // 1: something that is not Signet answers (python's http.server refuses POST with 501).
        let port = try Self.freePort()
        let foreign = Process()
        foreign.executableURL = URL(fileURLWithPath: try #require(ProcessRunner.which("python3")))
        foreign.arguments = ["-m", "http.server", "--bind", "127.0.0.1", "\(port)"]
        foreign.currentDirectoryURL = URL(fileURLWithPath: s.work)
        foreign.standardOutput = FileHandle.nullDevice
        foreign.standardError = FileHandle.nullDevice
        try foreign.run()
        defer { foreign.terminate() }
        var failure = try s.signet(["revoke", String(repeating: "ab", count: 20), "--url", "http://127.0.0.1:\(port)"], token: "alice")
        for _ in 0..<50 where failure.status == 6 {  // python may not be listening yet
            Thread.sleep(forTimeInterval: 0.1)
            failure = try s.signet(["revoke", String(repeating: "ab", count: 20), "--url", "http://127.0.0.1:\(port)"], token: "alice")
        }
        #expect(failure.status == 1, "\(failure.stderr)")

        // 2: usage — a missing option, a duration that does not parse, a token as an argument.
        let missing = try s.signet(["request", "--out", "x"], token: "alice")
        #expect(missing.status == 2 && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        #expect(try request(["--validity", "forever"]).status == 2)
        let tokenArgument = try s.signet(["profiles", "--token", "sgt_0000_secret"])
        #expect(tokenArgument.status == 2 && tokenArgument.stderr.contains("never taken from arguments") && !tokenArgument.stderr.contains("sgt_0000_secret"))

        // 3: a token Signet does not know; a profile this token may not use.
        let unknown = try request([], token: "sgt_00000000_notarealtoken")
        #expect(unknown.status == 3 && unknown.stderr.contains("unauthenticated"), "\(unknown.stderr)")
        let otherProfile = try s.signet(["request", "--profile", "ci-release", "--out", "x"], token: "alice")
        #expect(otherProfile.status == 3 && otherProfile.stderr.contains("prerelease-codesign"), "\(otherProfile.stderr)")
        let auditor = try request([], token: "eve")
        #expect(auditor.status == 3 && auditor.stderr.contains("may not request"), "\(auditor.stderr)")

        // 4: refused by the profile: longer than its 7-day maximum; an expired certificate to renew.
        let tooLong = try request(["--validity", "30d"])
        #expect(tooLong.status == 4 && tooLong.stderr.contains("policy_refused"), "\(tooLong.stderr)")
        let (csr, key) = try OpenSSL.makeCSR("ec:P-256", in: s.work)
        try OpenSSL.check(s.host(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--validity", "30s", "--out", s.path("old.crt")]), "issue")
        let expired = try s.signet(["renew", "old.crt", "--key", key], token: "alice")
        #expect(expired.status == 4 && expired.stderr.contains("expired"), "\(expired.stderr)")

        // 5: a serial Signet never issued; an --out in a directory that does not exist (checked before anything is asked).
        let nowhere = try s.signet(["request", "--profile", "prerelease-codesign", "--out", "missing/x"], token: "alice")
        #expect(nowhere.status == 5 && nowhere.stderr.contains("does not exist"), "\(nowhere.stderr)")
        let notFound = try s.signet(["revoke", String(repeating: "cd", count: 20), "--reason", "superseded"], token: "alice")
        #expect(notFound.status == 5 && notFound.stderr.contains("not_found"), "\(notFound.stderr)")

        // 6: nothing listens at the URL.
        let unreachable = try request(["--url", "http://127.0.0.1:\(try Self.freePort())"])
        #expect(unreachable.status == 6, "\(unreachable.stderr)")

        // 7: a second Signet with a root of its own answers the request: its certificate is not believed or written.
        let other = try Self.setup(tokens: ["carol": ["--role", "developer", "--team", "payments"]])
        defer { other.server.stop() }
        let impostor = try request(["--url", other.url], token: other.tokens["carol"])
        #expect(impostor.status == 7 && impostor.stderr.contains("does not chain to the trusted root"), "\(impostor.stderr)")

        // No keystore password and no terminal to ask on (setsid detaches it): usage, and nothing sent or written.
        let noPassword = try ProcessRunner.run("setsid", ["-w", ProcessRunner.signetBinary, "request", "--profile", "prerelease-codesign", "--out", "x", "--p12"],
                                               environment: ["HOME": s.client, "XDG_CONFIG_HOME": s.client, "SIGNET_TOKEN": s.tokens["alice"], "SIGNET_P12_PASSWORD": nil],
                                               directory: s.client)
        #expect(noPassword.status == 2 && noPassword.stderr.contains("SIGNET_P12_PASSWORD"), "\(noPassword.stderr)")
        try nothingWritten()

        // --json carries the same status and the server's code for scripts.
        let scripted = try request(["--validity", "30d", "--json"])
        let body = try JSONSerialization.jsonObject(with: Data(scripted.stdout)) as? [String: [String: Any]]
        #expect(body?["error"]?["code"] as? String == "policy_refused" && body?["error"]?["exit_status"] as? Int == 4, "\(scripted.output)")
        try nothingWritten()

        // With every refusal behind, the same request succeeds; a second is refused (5) until --force replaces all its files.
        #expect(try request([]).status == 0)
        let first = try ["x.key", "x.crt", "x-chain.pem"].map { try #require(s.read($0)) }
        #expect(try request([]).status == 5)
        #expect(try ["x.key", "x.crt", "x-chain.pem"].map { s.read($0) } == first)
        let forced = try request(["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let replaced = try ["x.key", "x.crt", "x-chain.pem"].map { try #require(s.read($0)) }
        #expect(zip(first, replaced).allSatisfy { $0 != $1 })
    }

    @Test("HTTPS: bootstrap trusts by fingerprint; a TLS certificate from another CA is refused with the bootstrapped root alone, accepted with --root")
    func https() throws {
        let tlsDirectory = TestEnvironment.temporaryDirectory("tls")
        let ca = tlsDirectory + "/tls-ca", server = tlsDirectory + "/server"
        try OpenSSL.check(ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca + ".key",
                                                         "-subj", "/CN=Test TLS CA", "-days", "2", "-out", ca + ".pem"]), "tls ca")
        try OpenSSL.check(ProcessRunner.run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", server + ".key",
                                                         "-subj", "/CN=127.0.0.1", "-out", server + ".csr"]), "tls csr")
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(toFile: tlsDirectory + "/ext.cnf", atomically: true, encoding: .utf8)
        try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-req", "-in", server + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                                                         "-days", "2", "-extfile", tlsDirectory + "/ext.cnf", "-out", server + ".pem"]), "tls cert")
        let s = try Self.setup(tls: (server + ".pem", server + ".key"), tokens: Self.people)
        defer { s.server.stop() }
        let url = s.url.replacingOccurrences(of: "http://", with: "https://")  // ServerProcess names the port; the listener speaks TLS

        let bootstrapped = try s.signet(["ca", "bootstrap", "--url", url, "--fingerprint", s.fingerprint, "--json"])
        #expect(bootstrapped.status == 0, "\(bootstrapped.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(bootstrapped.stdout)) as? [String: Any])?["tls_chains_to_root"] as? Bool == false)
        let untrusted = try s.signet(["profiles"], token: "alice")
        #expect(untrusted.status == 7 && untrusted.stderr.contains("TLS certificate"), "\(untrusted.stderr)")

        let bundle = s.client + "/roots.pem"
        let signetRoot = try OpenSSL.check(s.host(["ca", "export", "root", "--pem"]), "export root").output
        try (try String(contentsOfFile: ca + ".pem", encoding: .utf8) + signetRoot).write(toFile: bundle, atomically: true, encoding: .utf8)
        #expect(try s.signet(["profiles", "--root", bundle], token: "alice").status == 0)
        let requested = try s.signet(["request", "--profile", "prerelease-codesign", "--out", "tls", "--root", bundle], token: "alice")
        #expect(requested.status == 0, "\(requested.stderr)")
    }

    @Test("signet init from a directory without Profiles/ writes the built-in profiles into the home and prints the root's fingerprint; --version names the build")
    func initAnywhere() throws {
        let directory = TestEnvironment.temporaryDirectory("anywhere")
        let initialised = try ProcessRunner.run(ProcessRunner.signetBinary, ["init", "--home", "home"], environment: ["SIGNET_HSM_PIN": nil], directory: directory)
        #expect(initialised.succeeded, "\(initialised.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: directory + "/home/profiles").sorted()
        let shipped = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.profilesDirectory).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(written == shipped)
        for name in shipped {
            #expect(FileManager.default.contents(atPath: directory + "/home/profiles/" + name) == FileManager.default.contents(atPath: TestEnvironment.profilesDirectory + "/" + name))
        }
        let fingerprint = try ProcessRunner.run(ProcessRunner.signetBinary, ["ca", "fingerprint", "--home", "home"], directory: directory)
        let printed = fingerprint.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.count == 64 && initialised.output.contains("Root fingerprint (SHA-256): \(printed)"), "\(initialised.output)")
        let exported = try ProcessRunner.run(ProcessRunner.signetBinary, ["ca", "export", "root", "--home", "home", "--out", "root.der"], directory: directory)
        #expect(exported.succeeded)
        let digest = try OpenSSL.check(ProcessRunner.run("openssl", ["dgst", "-sha256", "-r", directory + "/root.der"]), "dgst").output
        #expect(digest.hasPrefix(printed))
        let version = try ProcessRunner.signet(["--version"])
        #expect(version.succeeded && version.output.hasPrefix("signet ") && version.output.contains("("), "\(version.output)")
    }
}
