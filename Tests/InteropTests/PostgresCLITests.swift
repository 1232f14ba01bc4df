import Foundation
import SignetTestSupport
import Testing

/// The `signet` binary on PostgreSQL: an SQLite home moved into an empty database with `signet store
/// migrate`, and a home made on PostgreSQL from the start, both judged by the CLI's own readers
/// (`list`, `audit verify`, `inventory`) in separate processes.
@Suite struct PostgresCLITests {
    static func signet(_ arguments: [String], home: String, environment: [String: String?] = [:]) throws -> ProcessResult {
        try ProcessRunner.signet(arguments + ["--home", home], environment: environment)
    }

    @Test("store migrate copies an SQLite home into an empty database: the same listing, an audit trail that verifies with its anchor; a second copy is refused")
    func migrate() throws {
        let work = TestEnvironment.temporaryDirectory("pg-migrate")
        let home = work + "/home"
        try OpenSSL.check(Self.signet(["init", "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"], home: home,
                                      environment: ["SIGNET_HSM_PIN": nil, "SIGNET_STORE_URL": nil]), "init")
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        for _ in 0..<3 {
            try OpenSSL.check(Self.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments"], home: home), "issue")
        }
        let serial = try OpenSSL.check(Self.signet(["list", "--json"], home: home), "list").output
        try OpenSSL.check(Self.signet(["token", "create", "--role", "auditor"], home: home), "token")
        try OpenSSL.check(Self.signet(["audit", "checkpoint"], home: home), "checkpoint")
        let before = try OpenSSL.check(Self.signet(["list", "--json"], home: home), "list").output
        #expect(before == serial)

        let (url, password) = try TestPostgres.makeDatabase("migrate")
        let withPassword: [String: String?] = ["SIGNET_STORE_PASSWORD": password, "SIGNET_STORE_URL": nil]
        let copied = try OpenSSL.check(Self.signet(["store", "migrate", "--to", url.description, "--json"], home: home, environment: withPassword), "store migrate")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(copied.stdout)) as? [String: Any])
        let rows = try #require(summary["rows"] as? [String: Int])
        #expect(rows["certificates"] == 7 && rows["api_tokens"] == 1 && (summary["audit_entries"] as? Int ?? 0) > 10)
        #expect(!copied.output.contains(password) && !copied.stderr.contains(password))

        // The home read through PostgreSQL: the same certificates, a trail that verifies (hashes, links
        // and the checkpoint the token anchors).
        let onPostgres: [String: String?] = ["SIGNET_STORE_PASSWORD": password, "SIGNET_STORE_URL": url.description]
        #expect(try OpenSSL.check(Self.signet(["list", "--json"], home: home, environment: onPostgres), "list on PostgreSQL").output == before)
        let verify = try Self.signet(["audit", "verify"], home: home, environment: onPostgres)
        #expect(verify.succeeded && verify.output.contains("Audit trail intact"), "\(verify.output) \(verify.stderr)")
        // New work continues the copied records: a certificate issued on PostgreSQL, then the trail still verifies.
        try OpenSSL.check(Self.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments"], home: home, environment: onPostgres), "issue on PostgreSQL")
        try OpenSSL.check(Self.signet(["audit", "checkpoint"], home: home, environment: onPostgres), "checkpoint on PostgreSQL")
        let again = try Self.signet(["audit", "verify"], home: home, environment: onPostgres)
        #expect(again.succeeded, "\(again.stderr)")

        // A second copy into the same (now non-empty) database is refused and changes nothing.
        let refused = try Self.signet(["store", "migrate", "--to", url.description], home: home, environment: withPassword)
        #expect(!refused.succeeded && refused.stderr.contains("already holds") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        // A password in the URL is refused without being repeated.
        let inURL = try Self.signet(["store", "migrate", "--to", "postgres://signet:hunter2secret@127.0.0.1:\(url.port)/x"], home: home, environment: withPassword)
        #expect(!inURL.succeeded && !inURL.stderr.contains("hunter2secret") && inURL.stderr.contains("SIGNET_STORE_PASSWORD"), "\(inURL.stderr)")
    }

    @Test("a home made on PostgreSQL from the start (SIGNET_STORE_URL, password from a 0600 file) issues, lists and verifies; a wrong password fails without showing it")
    func homeOnPostgres() throws {
        let work = TestEnvironment.temporaryDirectory("pg-home")
        let home = work + "/home"
        let (url, password) = try TestPostgres.makeDatabase("home")
        let environment: [String: String?] = ["SIGNET_STORE_URL": url.description, "SIGNET_STORE_PASSWORD": password, "SIGNET_HSM_PIN": nil]
        try OpenSSL.check(Self.signet(["init", "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"], home: home, environment: environment), "init")
        #expect(!FileManager.default.fileExists(atPath: home + "/signet.db"))
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        try OpenSSL.check(Self.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments"], home: home, environment: environment), "issue")
        // The password from store_password_file instead of the environment.
        try password.write(toFile: home + "/store.password", atomically: true, encoding: .utf8)
        chmod(home + "/store.password", 0o600)
        let config = home + "/config.yaml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "store: \(url.description)\nstore_password_file: store.password\n").write(toFile: config, atomically: true, encoding: .utf8)
        let fromFile: [String: String?] = ["SIGNET_STORE_URL": nil, "SIGNET_STORE_PASSWORD": nil]
        try OpenSSL.check(Self.signet(["config", "check"], home: home, environment: fromFile), "config check")
        let listed = try OpenSSL.check(Self.signet(["list", "--json"], home: home, environment: fromFile), "list").output
        #expect(listed.components(separatedBy: "\"serial\"").count - 1 == 5)  // root, issuing, OCSP signer, TSA, the leaf
        let verify = try Self.signet(["audit", "verify"], home: home, environment: fromFile)
        #expect(verify.succeeded, "\(verify.stderr)")
        let wrong = "wrong-" + UUID().uuidString
        let refused = try Self.signet(["list"], home: home, environment: ["SIGNET_STORE_URL": nil, "SIGNET_STORE_PASSWORD": wrong])
        #expect(!refused.succeeded && !refused.stderr.contains(wrong) && refused.stderr.contains(url.description), "\(refused.stderr)")
    }
}
