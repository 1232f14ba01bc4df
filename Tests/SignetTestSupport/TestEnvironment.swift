import Foundation
import SignetCore
import SignetRuntime

/// Shared set-up for tests that run against the real SoftHSM2 token and the real SQLite store.
///
/// SoftHSM2 reads SOFTHSM2_CONF once per process, so every in-process test home shares one SoftHSM2
/// configuration (a token directory under a per-process temporary directory) and gets its own token
/// label. Tests that run the `signet` binary get fully separate homes.
public enum TestEnvironment {
    /// The package root, found from this file's path.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var profilesDirectory: String { repositoryRoot + "/Profiles" }

    /// A per-process scratch directory, removed by the OS's tmp cleaning (tests may inspect it on failure).
    public static let scratch: String = {
        let path = NSTemporaryDirectory() + "signet-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// The process-wide SoftHSM2 configuration, created on first use.
    public static let softhsmConf: String = {
        let tokens = scratch + "/tokens"
        try! FileManager.default.createDirectory(atPath: tokens, withIntermediateDirectories: true)
        let conf = scratch + "/softhsm2.conf"
        try! "directories.tokendir = \(tokens)\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", conf, 1)
        return conf
    }()

    /// Runs pkcs11-tool as a logged-in user on an in-process test home's token, beside this process:
    /// an independent reader of the token directory this process's SoftHSM2 writes. (Every in-process
    /// load of SoftHSM2 must read ``softhsmConf`` first; otherwise SoftHSM2 settles on the system's
    /// token directory and pkcs11-tool finds no such token.)
    @discardableResult
    public static func pkcs11Tool(_ arguments: [String], home: String, tokenLabel: String) throws -> String {
        let pin = try String(contentsOfFile: home + "/hsm.pin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let full = ["--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label", tokenLabel, "--login", "--pin", "env:SIGNET_TEST_PIN"] + arguments
        let result = try ProcessRunner.run("pkcs11-tool", full, environment: ["SOFTHSM2_CONF": softhsmConf, "SIGNET_TEST_PIN": pin])
        return try OpenSSL.check(result, "pkcs11-tool \(arguments.first ?? "")").output
    }

    /// A fresh directory for one test.
    public static func temporaryDirectory(_ name: String = "t", in base: String? = nil) -> String {
        let path = (base ?? scratch) + "/\(name)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Initialises a new Signet home in this process with its own token on the shared SoftHSM2.
    public static func makeRuntime(profiles: String? = nil, base: String? = nil, baseURL: String? = nil, clock: any SignetClock = SystemClock()) async throws -> SignetRuntime {
        let directory = temporaryDirectory("home", in: base)
        let (runtime, _) = try await SignetRuntime.initialize(directory, options: .init(
            profilesDir: profiles ?? profilesDirectory, baseURL: baseURL, tokenLabel: "t-\(UUID().uuidString.prefix(12))",
            softhsm2Conf: softhsmConf, crlDirectory: directory + "/crl"), clock: clock)
        return runtime
    }

    /// Copies the shipped profiles to a new directory and applies `edit` to the named file, for tests
    /// that need a variant (an RSA issuing CA, a team-restricted profile, a broken file).
    public static func profilesVariant(_ edits: [String: (String) -> String], extraFiles: [String: String] = [:]) throws -> String {
        let directory = temporaryDirectory("profiles")
        for name in try FileManager.default.contentsOfDirectory(atPath: profilesDirectory) where name.hasSuffix(".yaml") {
            var text = try String(contentsOfFile: profilesDirectory + "/" + name, encoding: .utf8)
            if let edit = edits[name] { text = edit(text) }
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        for (name, text) in extraFiles { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }
}
