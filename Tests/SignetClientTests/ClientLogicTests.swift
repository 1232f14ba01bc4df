import Crypto
import Foundation
@testable import SignetClient
import SignetCore
import SignetTestSupport
import Testing
import X509

/// The client's pure parts and its files: the exit-status table (and the README's copy of it), retry
/// timing, fingerprints, the client configuration, keys, and all-or-nothing output files.
@Suite struct ClientLogicTests {
    @Test("every error code has a row, statuses are 0-7 once each, and README.md prints exactly this table")
    func exitStatusTable() throws {
        let codes: [SignetError.Code] = [.malformedInput, .badSignature, .policyRefused, .notFound, .conflict, .forbidden, .unauthenticated,
                                         .invalidConfiguration, .lintFailed, .keyCustody, .storage, .unreachable, .verificationFailed, .internalError,
                                         .hsmBusy, .rateLimited]
        for code in codes { #expect(ExitStatus.knownCodes.contains(code), "\(code) has no row") }
        #expect(ExitStatus.table.map(\.status) == Array(0...7))
        #expect(ExitStatus.status(for: SignetError(.verificationFailed, "x")) == 7)
        #expect(ExitStatus.status(for: SignetError.Code("something_new")) == ExitStatus.failure)

        let readme = try String(contentsOfFile: TestEnvironment.repositoryRoot + "/README.md", encoding: .utf8)
        let start = try #require(readme.range(of: "<!-- exit-status -->")), end = try #require(readme.range(of: "<!-- /exit-status -->"))
        let rows = readme[start.upperBound..<end.lowerBound].split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| Status") }
        let documented = rows.map { row -> String in
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return "\(cells[0]) \(cells[1]) \(cells.count > 3 ? cells[3] : "")"
        }
        #expect(documented == ExitStatus.table.map { "\($0.status) `\($0.name)` " + $0.codes.map { "`\($0.name)`" }.joined(separator: ", ") },
                "README.md's exit-status table differs from ExitStatus.table")
    }

    @Test("Retry-After: seconds or an HTTP-date; waits double without one; only 429 and 503; bounded")
    func retryPolicy() {
        let policy = RetryPolicy(attempts: 3, maximumWait: 10, defaultWait: 1)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(policy.wait(afterAttempt: 1, status: 503, retryAfter: "2", now: now) == 2)
        #expect(policy.wait(afterAttempt: 1, status: 429, retryAfter: nil, now: now) == 1)
        #expect(policy.wait(afterAttempt: 2, status: 429, retryAfter: nil, now: now) == 2)
        #expect(policy.wait(afterAttempt: 3, status: 503, retryAfter: "1", now: now) == nil)          // attempts used up
        #expect(policy.wait(afterAttempt: 1, status: 503, retryAfter: "11", now: now) == nil)         // longer than allowed
        #expect(policy.wait(afterAttempt: 1, status: 500, retryAfter: "1", now: now) == nil)          // not a retried status
        #expect(policy.wait(afterAttempt: 1, status: 502, retryAfter: "1", now: now) == nil)
        let httpDate = DateFormatter()
        httpDate.locale = Locale(identifier: "en_US_POSIX")
        httpDate.timeZone = TimeZone(identifier: "GMT")
        httpDate.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(RetryPolicy.parseRetryAfter(httpDate.string(from: now + 5), now: now) == 5)
        #expect(RetryPolicy.parseRetryAfter(httpDate.string(from: now - 5), now: now) == 0)
        #expect(RetryPolicy.parseRetryAfter("99999999999999999999999", now: now) == TimeInterval(Int32.max))
        for garbage in ["", "soon", "-1", "1.5", "Tue, 99 Foo 2020"] { #expect(RetryPolicy.parseRetryAfter(garbage, now: now) == nil, "\(garbage)") }
    }

    @Test("fingerprints: read with colons, case, spaces and openssl's or step's prefixes; anything else is refused")
    func fingerprints() throws {
        let hex = String(repeating: "ab", count: 32)
        let colons = stride(from: 0, to: 64, by: 2).map { String(hex.uppercased().dropFirst($0).prefix(2)) }.joined(separator: ":")
        for text in [hex, hex.uppercased(), colons, "sha256 Fingerprint=\(colons)", "SHA256:\(hex)", " \(hex)\n"] {
            #expect(try Fingerprint.parse(text) == [UInt8](repeating: 0xab, count: 32), "\(text)")
        }
        for bad in ["", String(hex.dropLast(2)), hex + "ab", String(repeating: "zz", count: 32)] {
            #expect { try Fingerprint.parse(bad) } throws: { ($0 as? SignetError)?.code == .malformedInput }
        }
    }

    @Test("client configuration: where it lives, a round trip, and a root that no longer matches its recorded fingerprint is not believed")
    func configuration() throws {
        let directory = TestEnvironment.temporaryDirectory("client")
        #expect(try ClientConfiguration.path(environment: ["SIGNET_CONFIG": directory + "/c.yaml", "HOME": "/h"]) == directory + "/c.yaml")
        #expect(try ClientConfiguration.path(environment: ["SIGNET_CONFIG": directory, "HOME": "/h"]) == directory + "/config.yaml")
        #expect(try ClientConfiguration.path(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/signet/config.yaml")
        #expect(try ClientConfiguration.path(environment: ["HOME": "/h"]) == "/h/.config/signet/config.yaml")
        #expect(throws: SignetError.self) { try ClientConfiguration.path(environment: [:]) }

        let root = try Self.selfSigned("Test Root")
        let path = directory + "/nested/config.yaml"
        #expect(try ClientConfiguration.load(from: path) == nil)
        try ClientConfiguration(url: "http://127.0.0.1:8080", root: root).save(to: path)
        let loaded = try #require(try ClientConfiguration.load(from: path))
        #expect(loaded.url == "http://127.0.0.1:8080" && loaded.root == root && loaded.rootFingerprint == Fingerprint.sha256(root))

        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("root: |\n  -----BEGIN CERTIFICATE-----\n"))

        // Another root put in by hand: the recorded fingerprint no longer matches.
        let other = PEM.encode(try Self.selfSigned("Another Root").derBytes)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pemStart = try #require(text.range(of: "  -----BEGIN CERTIFICATE-----"))
        try (String(text[..<pemStart.lowerBound]) + other.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try ClientConfiguration.load(from: path) } throws: { ($0 as? SignetError)?.code == .verificationFailed }
        try "url: [unclosed\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try ClientConfiguration.load(from: path) } throws: { ($0 as? SignetError)?.code == .invalidConfiguration }
    }

    @Test("keys: each type generated, written as PKCS #8 and read back; openssl's SEC 1 and PKCS #1 keys read; encrypted keys refused",
          arguments: [KeyAlgorithm.ecP256, .ecP384, .rsa3072])
    func keys(algorithm: KeyAlgorithm) throws {
        let key = try LocalKey.generate(algorithm)
        let reread = try LocalKey.read(pem: key.pem, file: "k.pem")
        #expect(reread.algorithm == algorithm && reread.publicKey == key.publicKey && reread.pkcs8DER == key.pkcs8DER)
        // PKCS #8: the PEM label is PRIVATE KEY (not EC or RSA), as openssl reads it back.
        let label = key.pem.prefix { $0 != "\n" }
        #expect(label.hasPrefix("-----BEGIN ") && label.dropFirst("-----BEGIN ".count) == "PRIVATE KEY-----", "\(label)")
        let csr = try CertificateSigningRequest(pemEncoded: try key.csr(subjectName: "laptop"))
        #expect(csr.publicKey == key.publicKey && csr.publicKey.isValidSignature(csr.signature, for: csr))

        let directory = TestEnvironment.temporaryDirectory("keys")
        let (genpkey, traditional): ([String], [String]) = algorithm.isEC
            ? (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(algorithm == .ecP256 ? "P-256" : "P-384")"], ["ec", "-in", directory + "/k.pem"])
            : (["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"], ["rsa", "-traditional", "-in", directory + "/k.pem"])
        try OpenSSL.check(ProcessRunner.run("openssl", genpkey + ["-out", directory + "/k.pem"]), "genpkey")
        let legacy = try OpenSSL.check(ProcessRunner.run("openssl", traditional), "legacy form").output
        #expect(legacy.contains(algorithm.isEC ? "BEGIN EC PRIVATE KEY" : "BEGIN RSA PRIVATE KEY"))
        #expect(try LocalKey.read(pem: legacy, file: "legacy.pem").algorithm == algorithm)
        // A real encrypted PKCS #8 key, made by openssl in the test's temporary directory.
        let encrypted = try OpenSSL.check(ProcessRunner.run("openssl", ["pkcs8", "-topk8", "-in", directory + "/k.pem", "-v2", "aes-256-cbc",
                                                                       "-passout", "env:SIGNET_TEST_KEY_PASS"],
                                                            environment: ["SIGNET_TEST_KEY_PASS": "correct horse"]), "pkcs8 -topk8").output
        #expect(encrypted.contains("ENCRYPTED PRIVATE KEY"))
        #expect { try LocalKey.read(pem: encrypted, file: "e.pem") } throws: { ($0 as? SignetError)?.reason.contains("encrypted") == true }
        #expect { try LocalKey.generate(.rsa2048) } throws: { ($0 as? SignetError)?.code == .policyRefused }
    }

    @Test("output files: the key is 0600 from the start; nothing is replaced without overwrite; a failure leaves nothing new and restores what was replaced")
    func outputFiles() throws {
        let directory = TestEnvironment.temporaryDirectory("out")
        let key = directory + "/dev.key", certificate = directory + "/dev.crt"
        try OutputFiles.write([.init(path: key, bytes: Array("secret".utf8), mode: 0o600), .init(path: certificate, bytes: Array("cert".utf8), mode: 0o644)],
                              overwrite: false)
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: certificate)[.posixPermissions] as? Int == 0o644)

        // Without overwrite: refused as a conflict, the existing files untouched, no new file.
        let chain = directory + "/dev-chain.pem"
        #expect { try OutputFiles.write([.init(path: chain, bytes: [1], mode: 0o644), .init(path: key, bytes: [2], mode: 0o600)], overwrite: false) } throws: {
            ($0 as? SignetError)?.code == .conflict
        }
        #expect(!FileManager.default.fileExists(atPath: chain) && FileManager.default.contents(atPath: key) == Data("secret".utf8))

        // The second file cannot be written (its directory does not exist): the first is not left behind.
        #expect { try OutputFiles.write([.init(path: chain, bytes: [1], mode: 0o644), .init(path: directory + "/missing/x", bytes: [2], mode: 0o644)],
                                        overwrite: false) } throws: { ($0 as? SignetError)?.code == .storage }
        #expect(!FileManager.default.fileExists(atPath: chain))

        // With overwrite, a failure after the first rename puts the old content back.
        try FileManager.default.createDirectory(atPath: directory + "/blocker", withIntermediateDirectories: true)
        try "inside".write(toFile: directory + "/blocker/file", atomically: true, encoding: .utf8)
        #expect { try OutputFiles.write([.init(path: certificate, bytes: Array("new".utf8), mode: 0o644), .init(path: directory + "/blocker", bytes: [2], mode: 0o644)],
                                        overwrite: true) } throws: { ($0 as? SignetError)?.code == .storage }
        #expect(FileManager.default.contents(atPath: certificate) == Data("cert".utf8))
        try OutputFiles.write([.init(path: certificate, bytes: Array("new".utf8), mode: 0o644)], overwrite: true)
        #expect(FileManager.default.contents(atPath: certificate) == Data("new".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary or backup files left: \(leftovers)")
    }

    @Test("paths split without Foundation (which traps on one-character names): directory and name of bare, nested and rooted paths", arguments: [
        ("x", ".", "x"), ("dev", ".", "dev"), ("a/x", "a", "x"), ("/x", "/", "x"), ("out/dir/dev.crt", "out/dir", "dev.crt"), ("./y", ".", "y"),
    ])
    func pathNames(path: String, directory: String, name: String) throws {
        #expect(FilePathName.directory(of: path) == directory)
        #expect(FilePathName.lastComponent(of: path) == name)
        // And a one-character file is written beside itself, not trapped on.
        let work = TestEnvironment.temporaryDirectory("names")
        let target = work + "/" + name
        try OutputFiles.write([.init(path: target, bytes: [1], mode: 0o644)], overwrite: false)
        #expect(FileManager.default.contents(atPath: target) == Data([1]))
    }

    @Test("keystore passwords come from SIGNET_P12_PASSWORD and must be printable ASCII (what Java opens)")
    func keystorePasswords() throws {
        #expect(try KeystorePassword.obtain(environment: ["SIGNET_P12_PASSWORD": "correct horse"], confirm: true) == "correct horse")
        for bad in ["Prüfung", "tab\there"] {
            #expect { try KeystorePassword.obtain(environment: ["SIGNET_P12_PASSWORD": bad], confirm: false) } throws: { ($0 as? SignetError)?.code == .malformedInput }
        }
    }

    static func selfSigned(_ name: String) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        return try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 60, notValidAfter: Date() + 3600,
                               issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                               extensions: try Certificate.Extensions([Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true)]),
                               issuerPrivateKey: .init(key))
    }
}
