import Foundation
import SignetCore
import SignetStore
import SignetTestSupport
import Testing

/// docs/audit.md promises an auditor can recompute the chain and check the anchor with standard
/// tools. This runs its recipe block exactly as written and holds it to Signet's own hashes, so the
/// document cannot drift from the code.
@Suite struct AuditRecipeTests {
    @Test("the recipe in docs/audit.md, run as written with sqlite3, python3, jq, openssl and pkcs11-tool, recomputes Signet's hashes and verifies the anchor without the PIN")
    func documentedRecipe() async throws {
        let audit = try AuditTestHome.make("recipe")
        let entries = try #require(try audit.checkpointSequences().last) + 1
        // An entry whose text needs every escaping rule, appended by Signet's own store.
        let store = try SQLiteStore(path: audit.home + "/signet.db")
        try await store.append(AuditEvent(
            time: Date(), actor: "q\"b\\s/n\nr\rt\tb\u{8}f\u{c}z\u{1}d\u{7f} Zoë ✓ 😀", role: nil, action: "test.escaping", target: nil,
            details: ["k\"\\\n": "v\u{8}\u{c}\u{1f}/é", "plain": "x"]))
        try await store.close()
        try audit.signet(["audit", "checkpoint"])

        let document = try String(contentsOfFile: TestEnvironment.repositoryRoot + "/docs/audit.md", encoding: .utf8)
        let start = try #require(document.range(of: "<!-- recipe:audit -->"))
        let end = try #require(document.range(of: "<!-- /recipe:audit -->"))
        let block = document[start.upperBound..<end.lowerBound].components(separatedBy: "\n").filter { !$0.hasPrefix("```") }.joined(separator: "\n")
        let script = audit.work + "/recipe.sh"
        try ("set -euo pipefail\n" + block).write(toFile: script, atomically: true, encoding: .utf8)
        let pinFile = audit.home + "/hsm.pin", aside = audit.work + "/hsm.pin.aside"
        try FileManager.default.moveItem(atPath: pinFile, toPath: aside)  // the auditor has no PIN
        defer { try? FileManager.default.moveItem(atPath: aside, toPath: pinFile) }
        let result = try ProcessRunner.run("/bin/bash", [script], environment: ["SIGNET_HOME": audit.home, "SIGNET_HSM_PIN": nil, "SOFTHSM2_CONF": nil],
                                           directory: audit.work)
        #expect(result.succeeded, "\(result.output)\n\(result.stderr)")
        #expect(result.output.contains("chain intact: \(entries) entries"), "\(result.output)")
        #expect(result.output.contains("Verified OK"), "\(result.output)")
        #expect(result.output.contains("anchor matches entry \(entries)"), "\(result.output)")

        // Every hash the recipe computed is the one Signet computes and stored.
        let recomputed = try String(contentsOfFile: audit.work + "/hashes.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let reopened = try SQLiteStore(path: audit.home + "/signet.db")
        let records = try await reopened.auditRecords(after: 0, limit: 10_000)
        try await reopened.close()
        #expect(records.count == entries)
        #expect(records.allSatisfy { AuditChain.hash($0) == $0.hash })
        #expect(recomputed == records.map { "\($0.sequence) \($0.hash)" })
        #expect(records.last?.actor.contains("\u{8}") == true)
    }
}
