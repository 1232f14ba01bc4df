import Foundation
import SignetTestSupport
import Testing

/// libsignet-pkcs11.so in the signing tools teams already run, against a live `signet serve`:
/// pkcs11-tool (OpenSC), osslsigncode and openssl through libp11's engine, and jarsigner through Java's
/// SunPKCS11. Every signature is made by Signet's HSM; openssl, osslsigncode and jarsigner judge it.
/// The tools run with the Swift toolchain's libraries hidden (``WithoutSwift``), as on a build machine
/// that has never seen Swift: the library under test is the one `make dist` ships.
@Suite(.serialized, .liveSignet("pkcs11-tools")) struct PKCS11ModuleInteropTests {
    static var module: String { LiveSignet.moduleLibrary }

    /// libp11's engine for OpenSSL 3 (Debian: libengine-pkcs11-openssl), in OpenSSL's engines directory.
    static func engine() throws -> String {
        let version = try OpenSSL.check(ProcessRunner.run("openssl", ["version", "-e"]), "openssl version -e").output
        let directory = version.split(separator: "\"").dropFirst().first.map(String.init) ?? "/usr/lib/x86_64-linux-gnu/engines-3"
        return directory + "/pkcs11.so"
    }

    /// A ci token of team payments, a release key for it, and the files the tools need.
    struct Release {
        let signet: LiveSignet
        let work: String
        let token: String
        let keyID: String
        let serial: String
        /// The release certificate's public key (PEM).
        let publicKey: String
        /// Release certificate, then its CA chain (PEM): what osslsigncode embeds.
        let chain: String

        var environment: [String: String?] { signet.moduleEnvironment(token: token) }

        static func make(_ release: String, team: String = "payments", tokenName: String = "pipeline", on other: LiveSignet? = nil) async throws -> Release {
            let signet = try other ?? LiveSignetScope.signet()
            let work = TestEnvironment.temporaryDirectory("pkcs11-\(release)", in: signet.work)
            let token = try signet.token(role: "ci", team: team, name: tokenName)
            let key = try await signet.releaseKey(release, token: token)
            let chain = work + "/chain.pem", certificate = work + "/release.pem", publicKey = work + "/release-pub.pem"
            try ([key.certificate] + key.chain).joined(separator: "\n").write(toFile: chain, atomically: true, encoding: .utf8)
            try key.certificate.write(toFile: certificate, atomically: true, encoding: .utf8)
            try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", certificate, "-pubkey", "-noout", "-out", publicKey]), "openssl x509 -pubkey")
            return Release(signet: signet, work: work, token: token, keyID: key.keyID, serial: key.serial, publicKey: publicKey, chain: chain)
        }

        /// Runs a tool with the module configured for this release's token, without Swift, in `work` (where
        /// a core file, or a JVM's hs_err_pid log, would land).
        func run(_ tool: String, _ arguments: [String], environment extra: [String: String?] = [:]) throws -> ProcessResult {
            try WithoutSwift.run(tool, arguments, environment: environment.merging(extra) { $1 }, directory: work)
        }

        /// An OpenSSL configuration that loads libp11's engine with the module, for `openssl -engine pkcs11`.
        func opensslConfiguration() throws -> String {
            let path = work + "/openssl-pkcs11.cnf"
            try """
            openssl_conf = openssl_init
            [openssl_init]
            engines = engine_section
            [engine_section]
            pkcs11 = pkcs11_section
            [pkcs11_section]
            engine_id = pkcs11
            dynamic_path = \(try PKCS11ModuleInteropTests.engine())
            MODULE_PATH = \(PKCS11ModuleInteropTests.module)
            init = 0
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// A file, its SHA-256 and SHA-1 digests, in `work`.
        func artifact(_ name: String) throws -> (file: String, sha256: String, sha1: String) {
            let file = work + "/\(name)", sha256 = file + ".sha256", sha1 = file + ".sha1"
            try Data((0..<5_000).map { UInt8(($0 * 7) % 251) }).write(to: URL(fileURLWithPath: file))
            try OpenSSL.check(ProcessRunner.run("openssl", ["dgst", "-sha256", "-binary", "-out", sha256, file]), "openssl dgst")
            try OpenSSL.check(ProcessRunner.run("openssl", ["dgst", "-sha1", "-binary", "-out", sha1, file]), "openssl dgst")
            return (file, sha256, sha1)
        }

        /// A JAR to sign, and the SunPKCS11 configuration naming the module.
        func jar() throws -> (jar: String, configuration: String) {
            let content = work + "/jar", jar = work + "/app.jar", configuration = work + "/sunpkcs11.cfg"
            try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
            try "hello from a pre-release build\n".write(toFile: content + "/hello.txt", atomically: true, encoding: .utf8)
            if !FileManager.default.fileExists(atPath: jar) {
                try OpenSSL.check(ProcessRunner.run("jar", ["cf", jar, "-C", content, "hello.txt"]), "jar")
            }
            try "name = Signet\nlibrary = \(PKCS11ModuleInteropTests.module)\nslotListIndex = 0\n".write(toFile: configuration, atomically: true, encoding: .utf8)
            return (jar, configuration)
        }

        /// jarsigner through SunPKCS11: `alias` is the release; the keystore password becomes C_Login's
        /// PIN, which the module accepts without keeping it.
        func jarsign(_ alias: String, signedJar: String, environment extra: [String: String?] = [:]) throws -> ProcessResult {
            let (jar, configuration) = try jar()
            let pin: [String: String?] = ["SIGNET_TEST_PIN": "unused-\(UUID().uuidString.prefix(8))"]
            return try run("jarsigner", ["-keystore", "NONE", "-storetype", "PKCS11", "-addprovider", "SunPKCS11", "-providerArg", configuration,
                                         "-storepass:env", "SIGNET_TEST_PIN", "-tsa", signet.tsaURL, "-signedjar", signedJar, jar, alias],
                           environment: pin.merging(extra) { $1 })
        }

        /// The tool failed the way a user can act on: a non-zero exit, not a signal, and no core file.
        func expectCleanFailure(_ result: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(!result.succeeded, "\(what) should have failed: \(result.output) \(result.stderr)", sourceLocation: sourceLocation)
            expectNoCrash(result, what, sourceLocation: sourceLocation)
        }

        /// The tool ended by itself (no signal) and left no core file or JVM crash log in `work`.
        func expectNoCrash(_ result: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(!result.signaled, "\(what) crashed with signal \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            let cores = ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasPrefix("core") || $0.hasPrefix("hs_err_pid") }
            #expect(cores.isEmpty, "\(what) left \(cores)", sourceLocation: sourceLocation)
        }
    }

    @Test("pkcs11-tool lists the release key and certificate; ECDSA signatures verify with openssl; pkcs11-tool --test does not crash")
    func pkcs11Tool() async throws {
        let release = try await Release.make("v2.0.0")
        let listing = try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "-L", "-O"]), "pkcs11-tool -L -O")
        let text = listing.output
        #expect(text.contains("token label        : payments"), "\(text)")
        #expect(text.contains("Private Key Object; EC"), "\(text)")
        #expect(text.contains("Certificate Object; type = X.509 cert"), "\(text)")
        #expect(text.contains("label:      v2.0.0"), "\(text)")
        #expect(text.contains("ID:         \(release.keyID)"), "\(text)")
        #expect(text.contains("Usage:      sign"), "\(text)")
        #expect(text.contains("Access:     sensitive, always sensitive, never extractable, local"), "\(text)")

        let (file, sha256, sha1) = try release.artifact("app.bin")
        for (digest, name) in [(sha256, "SHA-256"), (sha1, "SHA-1")] {
            let signature = digest + ".sig"
            try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "--sign", "--id", release.keyID, "-m", "ECDSA",
                                                          "--signature-format", "openssl", "-i", digest, "-o", signature]), "pkcs11-tool --sign -m ECDSA (\(name))")
            let verified = try ProcessRunner.run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", release.publicKey, "-in", digest, "-sigfile", signature])
            #expect(verified.succeeded && verified.output.contains("Signature Verified Successfully"), "\(name): \(verified.output) \(verified.stderr)")
        }
        let hashed = file + ".ecdsa-sha256.sig"
        try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "--sign", "--id", release.keyID, "-m", "ECDSA-SHA256",
                                                      "--signature-format", "openssl", "-i", file, "-o", hashed]), "pkcs11-tool --sign -m ECDSA-SHA256")
        let verified = try ProcessRunner.run("openssl", ["dgst", "-sha256", "-verify", release.publicKey, "-signature", hashed, file])
        #expect(verified.output.contains("Verified OK"), "\(verified.output) \(verified.stderr)")
        // A different file does not verify against it.
        let tampered = try ProcessRunner.run("openssl", ["dgst", "-sha256", "-verify", release.publicKey, "-signature", hashed, sha1])
        #expect(!tampered.succeeded)

        // Each signature is Signet's, audited with the requester's name.
        let audited = try OpenSSL.check(ProcessRunner.run("sqlite3", [release.signet.home + "/signet.db",
            "SELECT actor FROM audit_log WHERE action = 'signature.remote' AND target = '\(release.keyID)'"]), "sqlite3").output
        #expect(audited.split(separator: "\n") == ["pipeline", "pipeline", "pipeline"])

        // OpenSC's self-test walks every function it knows through the module; it must not crash.
        let selfTest = try release.run("pkcs11-tool", ["--module", Self.module, "--test"])
        release.expectNoCrash(selfTest, "pkcs11-tool --test")
        #expect(selfTest.output.contains("Signatures"), "\(selfTest.output) \(selfTest.stderr)")
    }

    @Test("osslsigncode signs a PE through the pkcs11 engine with Signet's TSA; osslsigncode verify passes")
    func osslsigncode() async throws {
        let release = try await Release.make("v2.1.0")
        let unsigned = release.work + "/tiny.exe", signed = release.work + "/tiny-signed.exe"
        try Data(TinyPE.make()).write(to: URL(fileURLWithPath: unsigned))
        try OpenSSL.check(release.run("osslsigncode", ["sign", "-pkcs11engine", try Self.engine(), "-pkcs11module", Self.module,
                                                       "-key", "pkcs11:token=payments;object=v2.1.0;type=private", "-certs", release.chain,
                                                       "-ts", release.signet.tsaURL, "-h", "sha256", "-in", unsigned, "-out", signed]), "osslsigncode sign")
        let verify = try ProcessRunner.run("osslsigncode", ["verify", "-CAfile", release.signet.root, "-TSA-CAfile", release.signet.root, "-in", signed])
        let output = verify.output + verify.stderr
        #expect(verify.succeeded, "\(output)")
        #expect(output.contains("Signature verification: ok"), "\(output)")
        #expect(output.contains("Timestamp Server Signature verification: ok"), "\(output)")
        #expect(output.contains("CN=release v2.1.0"), "\(output)")
        #expect(output.contains("Succeeded"), "\(output)")
    }

    @Test("jarsigner signs a JAR through SunPKCS11 with -tsa Signet; jarsigner -verify shows the release certificate and the timestamp")
    func jarsigner() async throws {
        let release = try await Release.make("v2.2.0")
        let signedJar = release.work + "/app-signed.jar"
        try OpenSSL.check(release.jarsign("v2.2.0", signedJar: signedJar), "jarsigner sign")
        let verify = try ProcessRunner.run("jarsigner", ["-verify", "-verbose", "-certs", signedJar])
        #expect(verify.output.contains("jar verified."), "\(verify.output)")
        #expect(verify.output.contains("CN=release v2.2.0, OU=payments, O=Signet Test Signing"), "\(verify.output)")
        #expect(verify.output.contains("Timestamped by \"CN=Signet Timestamp Authority"), "\(verify.output)")
    }

    @Test("openssl dgst -sign through the pkcs11 engine; the signature verifies with the release certificate")
    func opensslEngine() async throws {
        let release = try await Release.make("v2.3.0")
        let (file, _, _) = try release.artifact("release.tar")
        let signature = file + ".sig"
        try OpenSSL.check(release.run("openssl", ["dgst", "-sha256", "-engine", "pkcs11", "-keyform", "engine", "-sign", "pkcs11:object=v2.3.0;type=private",
                                                  "-out", signature, file], environment: ["OPENSSL_CONF": try release.opensslConfiguration()]), "openssl dgst -sign (engine)")
        let verify = try ProcessRunner.run("openssl", ["dgst", "-sha256", "-verify", release.publicKey, "-signature", signature, file])
        #expect(verify.output.contains("Verified OK"), "\(verify.output) \(verify.stderr)")
    }

    @Test("an RSA-3072 release key: SHA256-RSA-PKCS and RSA-PKCS over a DigestInfo from pkcs11-tool, SHA-384 through the engine, all verify")
    func rsaReleaseKey() async throws {
        let profiles = try TestEnvironment.profilesVariant(["ci-release.yaml": { $0.replacingOccurrences(of: "algorithms: [ec-p256]", with: "algorithms: [rsa-3072]") }])
        let signet = try LiveSignet.start("pkcs11-rsa", profiles: profiles)
        defer { signet.stop() }
        let release = try await Release.make("v4.0.0", on: signet)
        let objects = try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "-O"]), "pkcs11-tool -O").output
        #expect(objects.contains("Private Key Object; RSA") && objects.contains("Public Key Object; RSA 3072 bits"), "\(objects)")
        let (file, sha256, _) = try release.artifact("rsa.bin")

        let hashed = file + ".sha256-rsa.sig"
        try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "--sign", "--id", release.keyID, "-m", "SHA256-RSA-PKCS", "-i", file, "-o", hashed]),
                          "pkcs11-tool -m SHA256-RSA-PKCS")
        let verifyHashed = try ProcessRunner.run("openssl", ["dgst", "-sha256", "-verify", release.publicKey, "-signature", hashed, file])
        #expect(verifyHashed.output.contains("Verified OK"), "\(verifyHashed.output) \(verifyHashed.stderr)")

        // CKM_RSA_PKCS over the DigestInfo a caller built: the same octets Signet signs.
        let digestInfo = file + ".digestinfo", raw = file + ".rsa-pkcs.sig"
        let prefix: [UInt8] = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]
        try Data(prefix + Array(try Data(contentsOf: URL(fileURLWithPath: sha256)))).write(to: URL(fileURLWithPath: digestInfo))
        try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "--sign", "--id", release.keyID, "-m", "RSA-PKCS", "-i", digestInfo, "-o", raw]),
                          "pkcs11-tool -m RSA-PKCS")
        #expect(try Data(contentsOf: URL(fileURLWithPath: raw)) == Data(contentsOf: URL(fileURLWithPath: hashed)), "PKCS#1 v1.5 is deterministic: both are one signature")

        let engineSigned = file + ".engine.sig"
        try OpenSSL.check(release.run("openssl", ["dgst", "-sha384", "-engine", "pkcs11", "-keyform", "engine", "-sign", "pkcs11:object=v4.0.0;type=private",
                                                  "-out", engineSigned, file], environment: ["OPENSSL_CONF": try release.opensslConfiguration()]), "openssl dgst -sign (RSA)")
        let verifyEngine = try ProcessRunner.run("openssl", ["dgst", "-sha384", "-verify", release.publicKey, "-signature", engineSigned, file])
        #expect(verifyEngine.output.contains("Verified OK"), "\(verifyEngine.output) \(verifyEngine.stderr)")
    }

    @Test("another team's token, a revoked release key and a stopped Signet each fail the tools cleanly")
    func refusals() async throws {
        let release = try await Release.make("v3.0.0")
        let (file, sha256, _) = try release.artifact("refused.bin")
        let unsigned = release.work + "/tiny.exe"
        try Data(TinyPE.make()).write(to: URL(fileURLWithPath: unsigned))
        let engine = try Self.engine(), openssl = try release.opensslConfiguration()
        func tools(_ object: String, id: String, environment: [String: String?], _ situation: String) throws {
            release.expectCleanFailure(try release.run("pkcs11-tool", ["--module", Self.module, "--sign", "--id", id, "-m", "ECDSA", "-i", sha256,
                                                                       "-o", file + ".sig"], environment: environment), "pkcs11-tool (\(situation))")
            release.expectCleanFailure(try release.run("osslsigncode", ["sign", "-pkcs11engine", engine, "-pkcs11module", Self.module,
                                                                        "-key", "pkcs11:object=\(object);type=private", "-certs", release.chain,
                                                                        "-in", unsigned, "-out", release.work + "/refused-\(situation).exe"],
                                                       environment: environment), "osslsigncode (\(situation))")
            release.expectCleanFailure(try release.run("openssl", ["dgst", "-sha256", "-engine", "pkcs11", "-keyform", "engine", "-sign",
                                                                   "pkcs11:object=\(object);type=private", "-out", file + ".sig", file],
                                                       environment: environment.merging(["OPENSSL_CONF": openssl]) { $1 }), "openssl dgst (\(situation))")
            let signedJar = release.work + "/refused-\(situation).jar"
            release.expectCleanFailure(try release.jarsign(object, signedJar: signedJar, environment: environment), "jarsigner (\(situation))")
            for output in [release.work + "/refused-\(situation).exe", signedJar] {
                #expect(!FileManager.default.fileExists(atPath: output), "\(situation): \(output) was written")
            }
        }

        // Team search's token cannot see (so cannot use) team payments' key.
        let other = try release.signet.token(role: "ci", team: "search", name: "other-team")
        try tools("v3.0.0", id: release.keyID, environment: ["SIGNET_TOKEN": other], "another team")

        // A revoked release key is no longer offered, and no signature is made with it.
        let revoked = try await Release.make("v3.0.1")
        try await release.signet.revoke(revoked.serial)
        try tools("v3.0.1", id: revoked.keyID, environment: revoked.environment, "revoked")
        let signatures = try OpenSSL.check(ProcessRunner.run("sqlite3", [release.signet.home + "/signet.db",
            "SELECT COUNT(*) FROM audit_log WHERE action = 'signature.remote' AND target = '\(revoked.keyID)'"]), "sqlite3").output
        #expect(signatures.trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        // Signet stopped: the tools fail, and SIGNET_PKCS11_DEBUG says why; once it is back they sign again.
        release.signet.stop()
        defer { try? release.signet.restart() }
        try tools("v3.0.0", id: release.keyID, environment: [:], "Signet stopped")
        let debug = try release.run("pkcs11-tool", ["--module", Self.module, "-O"])
        release.expectCleanFailure(debug, "pkcs11-tool -O (Signet stopped)")
        #expect(debug.stderr.contains("signet-pkcs11: listing release keys failed: Signet is unreachable"), "\(debug.stderr)")
        try release.signet.restart()
        try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "--sign", "--id", release.keyID, "-m", "ECDSA", "-i", sha256,
                                                      "-o", file + ".sig"]), "pkcs11-tool after the restart")
    }

    @Test("the module carries the Swift runtime: ldd names no Swift library, and with the toolchain hidden a Swift-linked program fails where the module loads")
    func loadsWithoutSwift() async throws {
        #expect(try WithoutSwift.swiftLibrariesNeeded(by: Self.module).isEmpty)
        let exported = try OpenSSL.check(ProcessRunner.run("nm", ["-D", "--defined-only", "--extern-only", Self.module]), "nm -D").output
        let names: [String] = exported.split(separator: "\n").map { line in String(line.split(separator: " ").last ?? "") }
        #expect(names == ["C_GetFunctionList"], "\(exported)")
        guard WithoutSwift.hidesToolchain else {
            print("PKCS11ModuleInteropTests: not root (or no unshare), so the tools ran with the Swift toolchain in place; ldd alone judged the module")
            return
        }
        // The control: a program of the toolchain's own, linked to its shared runtime, cannot start.
        let swiftBuild = try #require(WithoutSwift.toolchainLibraries.map { URL(fileURLWithPath: $0).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bin/swift-build").path })
        let control = try WithoutSwift.run(swiftBuild, ["--version"])
        #expect(!control.succeeded && control.stderr.contains("error while loading shared libraries"), "\(control.stderr)")
        let release = try await Release.make("v5.0.0")
        let listing = try OpenSSL.check(release.run("pkcs11-tool", ["--module", Self.module, "-L", "-O"]), "pkcs11-tool -L -O without Swift")
        #expect(listing.output.contains("label:      v5.0.0"), "\(listing.output)")
    }
}
