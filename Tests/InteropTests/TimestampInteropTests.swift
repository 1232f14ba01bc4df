import Foundation
import SignetTestSupport
import Testing

/// The TSA judged by the tools that use it: openssl ts, osslsigncode (Authenticode) and jarsigner.
/// The home's base_url is the server's real address, so certificates' CDP and AIA URLs resolve.
@Suite(.serialized) struct TimestampInteropTests {
    struct Setup {
        let home: String
        let work: String
        let server: ServerProcess
        let root: String
        let tsaChain: String
        var tsaURL: String { server.baseURL + "/tsa" }
        func signet(_ args: [String]) throws -> ProcessResult {
            try ProcessRunner.signet(args + ["--home", home], environment: ["SIGNET_HSM_PIN": nil])
        }
        /// A developer key and a Signet-issued code-signing certificate chain for it.
        func codeSigningIdentity() throws -> (key: String, chain: String) {
            let (csr, key) = try OpenSSL.makeCSR("ec:P-256", in: TestEnvironment.temporaryDirectory("dev", in: work))
            let chain = work + "/codesign-chain.pem"
            try OpenSSL.check(signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--out", chain]), "issue")
            return (key, chain)
        }
    }

    static func freePort() throws -> Int {
        let result = try OpenSSL.check(ProcessRunner.run("python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"]), "free port")
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    static func setup() throws -> Setup {
        let work = TestEnvironment.temporaryDirectory("tsa")
        let home = work + "/home"
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            try? FileManager.default.removeItem(atPath: home)
            try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl",
                                                    "--base-url", "http://127.0.0.1:\(port)"], environment: ["SIGNET_HSM_PIN": nil]), "init")
            do {
                let server = try ServerProcess(home: home, fixedListen: "127.0.0.1:\(port)")
                let root = work + "/root.pem", tsa = work + "/tsa.pem", issuing = work + "/issuing.pem"
                try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "export")
                try OpenSSL.check(ProcessRunner.signet(["ca", "export", "tsa", "--pem", "--out", tsa, "--home", home]), "export")
                try OpenSSL.check(ProcessRunner.signet(["ca", "export", "issuing", "--pem", "--out", issuing, "--home", home]), "export")
                let chain = work + "/tsa-chain.pem"
                try (try String(contentsOfFile: tsa, encoding: .utf8) + String(contentsOfFile: issuing, encoding: .utf8)).write(toFile: chain, atomically: true, encoding: .utf8)
                return Setup(home: home, work: work, server: server, root: root, tsaChain: chain)
            } catch {
                lastError = error  // the port was taken in between; try another
            }
        }
        throw lastError!
    }

    func post(_ query: String, to url: String, out: String) throws {
        try OpenSSL.check(ProcessRunner.run("curl", ["-sf", "-H", "Content-Type: application/timestamp-query", "--data-binary", "@" + query, url, "-o", out]), "curl /tsa")
    }

    @Test("openssl ts: query → Signet → verify OK, with and without nonce; -text shows policy and accuracy")
    func opensslTS() throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let data = s.work + "/artifact.bin"
        try Data((0..<4096).map { UInt8($0 & 0xff) }).write(to: URL(fileURLWithPath: data))
        for (name, extra) in [("nonce", [String]()), ("no-nonce", ["-no_nonce"])] {
            let query = s.work + "/\(name).tsq", reply = s.work + "/\(name).tsr"
            try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", data, "-sha256", "-cert", "-out", query] + extra), "ts -query")
            try post(query, to: s.tsaURL, out: reply)
            let verify = try ProcessRunner.run("openssl", ["ts", "-verify", "-data", data, "-in", reply, "-CAfile", s.root, "-untrusted", s.tsaChain])
            #expect(verify.output.contains("Verification: OK"), "\(name): \(verify.output) \(verify.stderr)")
            let queryVerify = try ProcessRunner.run("openssl", ["ts", "-verify", "-queryfile", query, "-in", reply, "-CAfile", s.root, "-untrusted", s.tsaChain])
            #expect(queryVerify.output.contains("Verification: OK"), "\(name): \(queryVerify.stderr)")
            let text = try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-reply", "-in", reply, "-text"]), "ts -reply -text").output
            #expect(text.contains("Status: Granted."))
            #expect(text.contains("Policy OID: 1.3.6.1.4.1.32473.1.2"))
            #expect(text.contains("Accuracy: 0x01 seconds"))
            #expect(text.contains(name == "nonce" ? "Nonce: 0x" : "Nonce: unspecified"))
        }
        // Tampered data fails verification.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: s.work + "/other.bin"))
        let mismatch = try ProcessRunner.run("openssl", ["ts", "-verify", "-data", s.work + "/other.bin", "-in", s.work + "/nonce.tsr", "-CAfile", s.root, "-untrusted", s.tsaChain])
        #expect(!mismatch.output.contains("Verification: OK"))
    }

    @Test("bad queries over HTTP get rejections openssl can read")
    func badQueries() throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let data = s.work + "/artifact.bin"
        try Data("x".utf8).write(to: URL(fileURLWithPath: data))
        let sha1 = s.work + "/sha1.tsq"
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", data, "-sha1", "-out", sha1]), "ts -query sha1")
        let garbage = s.work + "/garbage.tsq"
        try Data("not a query".utf8).write(to: URL(fileURLWithPath: garbage))
        for (query, expected) in [(sha1, "unrecognized or unsupported algorithm identifier"), (garbage, "the data submitted has the wrong format")] {
            let reply = s.work + "/reject.tsr"
            try post(query, to: s.tsaURL, out: reply)
            let text = try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-reply", "-in", reply, "-text"]), "ts -reply").output
            #expect(text.contains("Status: Rejected."), "\(text)")
            #expect(text.contains(expected), "\(text)")
        }
    }

    @Test("osslsigncode: a PE signed with a Signet certificate and timestamped by Signet verifies, signature and timestamp")
    func osslsigncode() throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let (key, chain) = try s.codeSigningIdentity()
        let unsigned = s.work + "/tiny.exe", signed = s.work + "/tiny-signed.exe"
        try Data(TinyPE.make()).write(to: URL(fileURLWithPath: unsigned))
        try OpenSSL.check(ProcessRunner.run("osslsigncode", ["sign", "-certs", chain, "-key", key, "-ts", s.tsaURL, "-h", "sha256",
                                                              "-in", unsigned, "-out", signed]), "osslsigncode sign")
        let verify = try ProcessRunner.run("osslsigncode", ["verify", "-CAfile", s.root, "-TSA-CAfile", s.root, "-in", signed])
        let output = verify.output + verify.stderr
        #expect(verify.succeeded, "\(output)")
        #expect(output.contains("Signature verification: ok"))
        #expect(output.contains("Timestamp Server Signature verification: ok"))
        // The CRL checks fetched the CDP URLs in Signet's certificates from the running server.
        #expect(output.contains("Signature CRL verification: ok"))
        #expect(output.contains("Succeeded"))
    }

    @Test("jarsigner: a JAR signed with a Signet certificate and -tsa Signet shows the timestamp when verified")
    func jarsigner() throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let (key, chain) = try s.codeSigningIdentity()
        let content = s.work + "/jar"
        try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
        try "hello from a pre-release build\n".write(toFile: content + "/hello.txt", atomically: true, encoding: .utf8)
        let jar = s.work + "/test.jar", signedJar = s.work + "/test-signed.jar"
        try OpenSSL.check(ProcessRunner.run("jar", ["cf", jar, "-C", content, "hello.txt"]), "jar")
        // A throwaway PKCS#12 keystore for the developer's own key; its password travels by environment.
        let keystore = s.work + "/dev.p12"
        let env: [String: String?] = ["SIGNET_TEST_STOREPASS": "test-\(UUID().uuidString)"]
        try OpenSSL.check(ProcessRunner.run("openssl", ["pkcs12", "-export", "-inkey", key, "-in", chain, "-name", "dev", "-out", keystore,
                                                         "-passout", "env:SIGNET_TEST_STOREPASS"], environment: env), "pkcs12")
        try OpenSSL.check(ProcessRunner.run("jarsigner", ["-keystore", keystore, "-storetype", "PKCS12", "-storepass:env", "SIGNET_TEST_STOREPASS",
                                                           "-tsa", s.tsaURL, "-signedjar", signedJar, jar, "dev"], environment: env), "jarsigner sign")
        let verify = try ProcessRunner.run("jarsigner", ["-verify", "-verbose", "-certs", signedJar])
        #expect(verify.output.contains("jar verified."), "\(verify.output)")
        #expect(verify.output.contains("Timestamped by \"CN=Signet Timestamp Authority 1, O=Signet Test Signing\""), "\(verify.output)")
    }

    @Test("signet timestamp: builds the query, calls the TSA, verifies the reply against the CA")
    func cliClient() throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let file = s.work + "/build.tar"
        try Data("a build".utf8).write(to: URL(fileURLWithPath: file))
        let out = s.work + "/build.tsr"
        let result = try OpenSSL.check(s.signet(["timestamp", file, "--out", out]), "signet timestamp")
        #expect(result.output.contains("reply verified"))
        let verify = try ProcessRunner.run("openssl", ["ts", "-verify", "-data", file, "-in", out, "-CAfile", s.root])
        #expect(verify.output.contains("Verification: OK"), "\(verify.stderr)")
        // Against a foreign root the reply does not verify, and nothing is written.
        let otherWork = TestEnvironment.temporaryDirectory("other")
        let (otherCSR, otherKey) = try OpenSSL.makeCSR("ec:P-256", in: otherWork)
        let foreignRoot = otherWork + "/foreign.pem"
        try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-req", "-in", otherCSR, "-signkey", otherKey, "-days", "1", "-out", foreignRoot]), "self-sign")
        let refused = try ProcessRunner.signet(["timestamp", file, "--out", s.work + "/x.tsr", "--tsa", s.tsaURL, "--ca-file", foreignRoot, "--home", s.home])
        #expect(!refused.succeeded && refused.stderr.contains("does not chain to a trusted root"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.work + "/x.tsr"))
    }
}
