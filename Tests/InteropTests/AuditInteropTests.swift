import Foundation
import SignetTestSupport
import Testing

/// `signet audit verify` against a trail edited directly in SQLite with the sqlite3 tool.
@Suite struct AuditInteropTests {
    static func makeHome() throws -> String {
        let work = TestEnvironment.temporaryDirectory("audit")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        for _ in 0..<3 {
            try OpenSSL.check(ProcessRunner.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--home", home]), "issue")
        }
        try OpenSSL.check(ProcessRunner.signet(["token", "create", "--role", "auditor", "--home", home]), "token")
        return home
    }

    static func sqlite(_ home: String, _ sql: String) throws {
        try OpenSSL.check(ProcessRunner.run("sqlite3", [home + "/signet.db", sql]), "sqlite3")
    }

    @Test("an untouched trail verifies; an edited, deleted or reordered row makes verify fail and name it",
          arguments: [
            ("untouched", "", nil),
            ("edited", "UPDATE audit_log SET actor = 'mallory' WHERE seq = 17", 17),
            ("edited details", "UPDATE audit_log SET details = '{\"profile\":\"root-ca\"}' WHERE seq = 5", 5),
            ("deleted", "DELETE FROM audit_log WHERE seq = 12", 13),
            ("reordered", "UPDATE audit_log SET seq = -1 WHERE seq = 9; UPDATE audit_log SET seq = 9 WHERE seq = 10; UPDATE audit_log SET seq = 10 WHERE seq = -1;", 9),
            ("truncated", "DELETE FROM audit_log WHERE seq >= 15", nil),
          ] as [(String, String, Int?)])
    func tampering(name: String, sql: String, brokenAt: Int?) throws {
        let truncation = name == "truncated"
        let home = try Self.makeHome()
        // A checkpoint covers everything so far (signed with the HSM audit key).
        try OpenSSL.check(ProcessRunner.signet(["audit", "checkpoint", "--home", home]), "checkpoint")
        if !sql.isEmpty { try Self.sqlite(home, sql) }
        let result = try ProcessRunner.signet(["audit", "verify", "--home", home])
        if truncation {
            #expect(!result.succeeded && result.stderr.contains("removed from the end"), "\(result.stderr)")
        } else if let brokenAt {
            #expect(!result.succeeded, "\(name): verify passed")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("broken at entry \(brokenAt)"), "\(name): \(result.stderr)")
        } else {
            #expect(result.succeeded && result.output.contains("Audit trail intact"), "\(result.output) \(result.stderr)")
        }
    }

    @Test("signet audit show filters by action and actor; inventory and report print")
    func showInventoryReport() throws {
        let home = try Self.makeHome()
        let issues = try OpenSSL.check(ProcessRunner.signet(["audit", "show", "--action", "certificate.issue", "--json", "--home", home]), "audit show")
        let entries = try JSONSerialization.jsonObject(with: Data(issues.stdout)) as! [[String: Any]]
        #expect(entries.count == 7)  // root, issuing, OCSP signer, TSA, and the three leaves
        let inventory = try OpenSSL.check(ProcessRunner.signet(["inventory", "--home", home]), "inventory").output
        #expect(inventory.contains("STORE AND TOKEN: consistent"))
        #expect(inventory.contains("prerelease-codesign") && inventory.contains("payments"))
        let report = try OpenSSL.check(ProcessRunner.signet(["report", "--format", "md", "--home", home]), "report").output
        #expect(report.contains("# Signet compliance report"))
        #expect(report.contains("intact"))
        let json = try OpenSSL.check(ProcessRunner.signet(["report", "--format", "json", "--home", home]), "report json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout)) as! [String: Any]
        #expect((object["anomalies"] as? [Any])?.isEmpty == true)
    }
}
