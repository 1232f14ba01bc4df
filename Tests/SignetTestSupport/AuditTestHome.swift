import Foundation

/// A real home made by `signet init` plus activity, with the tools an attacker or an auditor would
/// use on it: sqlite3 on the database, pkcs11-tool on the token (no PIN), and `signet audit verify`
/// run with or without the user PIN.
public struct AuditTestHome: Sendable {
    public let home: String
    public let work: String

    public static let module = "/usr/lib/softhsm/libsofthsm2.so"

    /// A home at `home` (made or not yet), with scratch files in `work`.
    public init(home: String, work: String) {
        self.home = home
        self.work = work
    }

    /// `signet init`, three certificates and two checkpoints after init's own, each over new entries,
    /// so the table holds three chained checkpoint rows (see ``checkpointSequences()``).
    public static func make(_ name: String = "audit") throws -> AuditTestHome {
        let work = TestEnvironment.temporaryDirectory(name)
        let audit = AuditTestHome(home: work + "/home", work: work)
        try audit.signet(["init", "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"])
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        for _ in 0..<3 { try audit.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments"]) }
        try audit.signet(["audit", "checkpoint"])
        try audit.signet(["token", "create", "--role", "auditor", "--name", "audit-test"])
        try audit.signet(["audit", "checkpoint"])
        return audit
    }

    /// The entries the checkpoint rows cover, oldest first: for a home from ``make(_:)``, init's, the one
    /// after the three certificates, and the one after the token (each one entry apart or more).
    public func checkpointSequences() throws -> [Int] {
        try sql("SELECT seq FROM audit_checkpoints ORDER BY seq").compactMap { Int($0) }
    }

    /// Runs `signet` on this home with the home's PIN file; fails the test unless it succeeds.
    @discardableResult
    public func signet(_ arguments: [String], environment: [String: String?] = [:]) throws -> ProcessResult {
        try OpenSSL.check(run(arguments, environment: environment), "signet \(arguments.joined(separator: " "))")
    }

    /// Runs `signet` on this home and returns whatever happened.
    public func run(_ arguments: [String], environment: [String: String?] = [:]) throws -> ProcessResult {
        var env = environment
        if env["SIGNET_HSM_PIN"] == nil { env["SIGNET_HSM_PIN"] = .some(nil) }
        return try ProcessRunner.signet(arguments + ["--home", home], environment: env)
    }

    /// `signet audit verify`, as an admin with the PIN or as an auditor without it (the PIN file is
    /// moved aside for the run, and no SIGNET_HSM_PIN is set).
    public func verify(pin: Bool, json: Bool = false) throws -> ProcessResult {
        let arguments = ["audit", "verify"] + (json ? ["--json"] : [])
        if pin { return try run(arguments) }
        let pinFile = home + "/hsm.pin", aside = home + "/hsm.pin.aside"
        try FileManager.default.moveItem(atPath: pinFile, toPath: aside)
        defer { try? FileManager.default.moveItem(atPath: aside, toPath: pinFile) }
        return try run(arguments)
    }

    /// Runs SQL on the database with the sqlite3 tool, as someone who can write the file would.
    @discardableResult
    public func sql(_ statements: String) throws -> [String] {
        try OpenSSL.check(ProcessRunner.run("sqlite3", [home + "/signet.db", statements]), "sqlite3 \(statements)").output
            .split(separator: "\n").map(String.init)
    }

    /// pkcs11-tool on the home's token without login: what anyone who can open a session on the
    /// token, but has no PIN, can do.
    @discardableResult
    public func pkcs11Tool(_ arguments: [String]) throws -> ProcessResult {
        try OpenSSL.check(ProcessRunner.run("pkcs11-tool", ["--module", Self.module, "--token-label", "signet"] + arguments,
                                            environment: ["SOFTHSM2_CONF": home + "/softhsm2.conf"]), "pkcs11-tool \(arguments.joined(separator: " "))")
    }

    /// Sets `audit.<key>: <value>` in the home's config.yaml.
    public func setAuditConfig(_ key: String, _ value: String) throws {
        let path = home + "/config.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":") ? "  \(key): \(value)" : String(line)
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
