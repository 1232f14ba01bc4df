import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SignetTestSupport
import Testing

/// The token's anchor and the freshness rule with real processes: a checkpoint killed between its
/// two writes is no false alarm, a running server keeps its checkpoint fresh and a stopped-up one is
/// caught, and what an auditor without the PIN can and cannot tell.
@Suite struct AuditAnchorInteropTests {
    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.output) \(result.stderr)")
    }

    @Test("kill -9 between the checkpoint row and the token's anchor (or between the anchor's two copies) is no false alarm, twice in a row; the next checkpoint catches the anchor up",
          arguments: ["audit.after-checkpoint-recorded", "audit.after-private-anchor"])
    func crashBetweenRowAndAnchor(failpoint: String) throws {
        let audit = try AuditTestHome.make("crash")
        let last = try #require(try audit.checkpointSequences().last)
        for round in 1...2 {
            try audit.signet(["token", "create", "--role", "auditor", "--name", "round-\(round)"])
            let crashed = try audit.run(["audit", "checkpoint"], environment: ["SIGNET_FAILPOINTS": failpoint])
            #expect(crashed.status == 9, "the checkpoint should have been killed at \(failpoint): \(crashed.output) \(crashed.stderr)")
            for pin in [true, false] {
                let result = try audit.verify(pin: pin)
                #expect(result.succeeded, "round \(round), pin \(pin): \(result.stderr)")
                #expect(result.output.contains("Audit trail intact"), "\(result.output)")
            }
            let newest = try audit.sql("SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
            #expect(newest == [String(last + round)], "the row committed before the crash")
        }
        // After the first crash the anchor was one behind the rows; the second checkpoint caught it up
        // before signing (else two crashes would leave it two behind and verify would fail above).
        let behind = try audit.verify(pin: failpoint == "audit.after-checkpoint-recorded")
        #expect(behind.output.contains("one checkpoint behind the database"), "\(behind.output)")
        try audit.signet(["audit", "checkpoint", "--refresh"])
        for pin in [true, false] {
            let result = try audit.verify(pin: pin, json: true)
            #expect(result.succeeded, "\(result.stderr)")
            let anchor = try #require(try Self.json(result)["anchor"] as? [String: Any])
            #expect(anchor["one_behind"] as? Bool == false && anchor["sequence"] as? Int == last + 2, "\(anchor)")
        }
    }

    @Test("signet init killed between its first checkpoint row and the first anchor: verify accepts it, and init run again writes the anchor")
    func initCrashBeforeFirstAnchor() throws {
        let work = TestEnvironment.temporaryDirectory("init-crash")
        let audit = AuditTestHome(home: work + "/home", work: work)
        let crashed = try audit.run(["init", "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                    environment: ["SIGNET_FAILPOINTS": "audit.after-checkpoint-recorded"])
        #expect(crashed.status == 9, "init should have been killed: \(crashed.stderr)")
        for pin in [true, false] {
            let result = try audit.verify(pin: pin, json: true)
            #expect(result.succeeded, "pin \(pin): \(result.stderr)")
            #expect(try Self.json(result)["anchor"] == nil)
        }
        try audit.signet(["init"])
        let initLast = try #require(Int(try audit.sql("SELECT max(seq) FROM audit_log")[0]))
        let result = try audit.verify(pin: true, json: true)
        #expect(result.succeeded, "\(result.stderr)")
        let anchor = try #require(try Self.json(result)["anchor"] as? [String: Any])
        #expect(anchor["sequence"] as? Int == initLast && anchor["one_behind"] as? Bool == false, "\(anchor)")
    }

    @Test("while signet serve runs it keeps the newest checkpoint fresh with nothing logged; a server that stops checkpointing makes verify fail on age, and a stopped server does not")
    func staleWhileServerRuns() async throws {
        let audit = try AuditTestHome.make("stale")
        try audit.setAuditConfig("checkpoint_interval", "1s")
        try audit.setAuditConfig("max_checkpoint_age", "4s")
        let server = try ServerProcess(home: audit.home)
        defer { server.stop() }
        // Nothing is logged from here on, yet the checkpoint stays younger than the bound.
        try await Task.sleep(nanoseconds: 5_000_000_000)
        let fresh = try audit.verify(pin: false, json: true)
        #expect(fresh.succeeded, "\(fresh.stderr)")
        let report = try Self.json(fresh)
        #expect(report["server_running"] as? Bool == true)
        #expect(report["max_checkpoint_age_seconds"] as? Int == 4)
        #expect((report["checkpoint_age_seconds"] as? Double ?? 99) < 4, "\(report)")
        // A server whose checkpoints hang (here: another holder of the home's checkpoint lock) still
        // runs and holds its server lock, but signs nothing.
        let lock = open(audit.home + "/audit-checkpoint.lock", O_RDWR | O_CREAT, 0o600)
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
        try await Task.sleep(nanoseconds: 6_000_000_000)
        for pin in [true, false] {
            let stale = try audit.verify(pin: pin)
            let line = stale.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(stale.status == 7, "pin \(pin): \(stale.output)")
            #expect(line.hasPrefix("signet: Audit trail not checkpointed: the newest checkpoint (entry ") && !line.contains("\n"), "\(line)")
            #expect(line.contains("more than audit.max_checkpoint_age (4s) while `signet serve` runs on this home"), "\(line)")
        }
        flock(lock, LOCK_UN)
        close(lock)
        try await Task.sleep(nanoseconds: 2_500_000_000)
        let recovered = try audit.verify(pin: true)
        #expect(recovered.succeeded, "\(recovered.stderr)")
        #expect(recovered.output.contains("while `signet serve` runs; it does"), "\(recovered.output)")
        // Stopped: the age is reported, not bounded.
        #expect(server.stop() == 0)
        try await Task.sleep(nanoseconds: 5_000_000_000)
        let stopped = try audit.verify(pin: true)
        #expect(stopped.succeeded, "\(stopped.stderr)")
        #expect(stopped.output.contains("no `signet serve` runs on this home"), "\(stopped.output)")
    }

    @Test("the server refuses to checkpoint a trail the token says was cut short, so the age gives it away")
    func serverDoesNotLaunderTruncation() async throws {
        let audit = try AuditTestHome.make("launder")
        try audit.setAuditConfig("checkpoint_interval", "1s")
        try audit.setAuditConfig("max_checkpoint_age", "2s")
        let rows = try audit.checkpointSequences()
        try audit.sql("DELETE FROM audit_log WHERE seq > \(rows[0] + 1); DELETE FROM audit_checkpoints WHERE seq > \(rows[0] + 1)")
        let server = try ServerProcess(home: audit.home)
        defer { server.stop() }
        try await Task.sleep(nanoseconds: 3_000_000_000)
        // The server logged new entries (CRLs) but signed no checkpoint over the cut trail.
        #expect(try audit.sql("SELECT max(seq) FROM audit_checkpoints") == [String(rows[0])])
        let result = try audit.verify(pin: true)
        #expect(result.status == 7)
        // The anchor pins the last checkpoint's entry (with the server's own new entries the trail may
        // reach past it again, but not with the anchored hash).
        #expect(result.stderr.contains("broken at entry \(rows[2]): the token's audit anchor"), "\(result.stderr)")
        let refused = try audit.run(["audit", "checkpoint"])
        #expect(!refused.succeeded && refused.stderr.contains("Refusing to sign an audit checkpoint"), "\(refused.stderr)")
    }

    @Test("someone with access to the token but no PIN can roll the public anchor back along with the database; only verify with the PIN sees it, and verify without says it could not check that")
    func publicAnchorRollback() throws {
        let audit = try AuditTestHome.make("rollback")
        let rows = try audit.checkpointSequences()
        let (older, newest) = (rows[1], rows[2])
        // The checkpoint before the newest, as its anchor value: whoever read the public anchor then has it
        // (here rebuilt from its row).
        let old = audit.work + "/anchor-older.json"
        let value = try audit.sql("SELECT '{\"entry_hash\":\"' || entry_hash || '\",\"format\":\"signet-audit-anchor-v1\",\"key_id\":\"' || key_id || '\",\"previous_sequence\":' || previous_seq || ',\"sequence\":' || seq || ',\"signature\":\"' || lower(hex(signature)) || '\",\"time_ms\":' || time_ms || '}' FROM audit_checkpoints WHERE seq = \(older)")[0]
        try value.write(toFile: old, atomically: true, encoding: .utf8)
        // Roll back: the database to that entry, the public anchor to that genuine checkpoint.
        try audit.sql("DELETE FROM audit_log WHERE seq > \(older); DELETE FROM audit_checkpoints WHERE seq > \(older)")
        try audit.pkcs11Tool(["--delete-object", "--type", "data", "--application-label", "signet", "--label", "signet/audit-anchor"])
        try audit.pkcs11Tool(["--write-object", old, "--type", "data", "--application-label", "signet", "--label", "signet/audit-anchor"])

        let withPIN = try audit.verify(pin: true)
        #expect(withPIN.status == 7)
        #expect(withPIN.stderr.contains("broken at entry \(newest): the token's audit anchor pins entry \(newest), but the trail ends at \(older)"), "\(withPIN.stderr)")
        let withoutPIN = try audit.verify(pin: false)
        #expect(withoutPIN.succeeded, "\(withoutPIN.stderr)")
        #expect(withoutPIN.output.contains("Checked without the HSM PIN."))
        #expect(withoutPIN.output.contains("Not checked: the private copy of the anchor"), "\(withoutPIN.output)")
    }
}
