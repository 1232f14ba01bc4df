import Crypto
import Foundation
import GRDB
import SignetCore
import SignetRuntime
import SignetStore
import SignetTestSupport
import Testing
import X509

/// Every operation leaves exactly its audit entries; checkpoints are signed in the HSM and catch
/// rewritten or truncated history.
@Suite struct AuditTests {
    static let admin = Principal(name: "root", role: .admin, team: nil)
    static let developer = Principal(name: "alice", role: .developer, team: "payments")
    static let ci = Principal(name: "pipeline", role: .ci, team: "payments")

    /// Runs `operation` and returns the audit actions it added, in order.
    static func actions(_ runtime: SignetRuntime, _ operation: () async throws -> Void) async throws -> [String] {
        let before = try await runtime.store.lastAuditEntry()?.sequence ?? 0
        try await operation()
        return try await runtime.store.auditEntries(AuditQuery(after: before, limit: 10_000)).map(\.event.action)
    }

    static func csr() throws -> [UInt8] {
        try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(P256.Signing.PrivateKey()),
                                      attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes()
    }

    @Test("each operation of the earlier issues leaves exactly the expected audit entries")
    func entriesPerAction() async throws {
        let clock = ManualClock(Date())
        let runtime = try await TestEnvironment.makeRuntime(clock: clock)
        let init_ = try await runtime.store.auditEntries(AuditQuery(limit: 10_000)).map(\.event.action)
        #expect(init_ == [
            "key.generate", "crl.publish", "certificate.issue", "authority.create",   // root, with its first CRL
            "key.generate", "crl.publish", "certificate.issue", "authority.create",   // issuing CA, with its first CRL
            "key.generate", "certificate.issue", "authority.create",                  // TSA
            "key.generate", "certificate.issue", "authority.create",                  // OCSP signer
            "ca.init", "key.generate", "key.activate",                                // the audit key
        ])
        var serial = ""
        #expect(try await Self.actions(runtime) {
            serial = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer).record.serial
        } == ["certificate.issue"])
        #expect(try await Self.actions(runtime) {
            _ = try? await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments", validity: .days(30)), by: Self.developer)
        } == ["certificate.refuse"])
        #expect(try await Self.actions(runtime) {
            _ = try await runtime.ca.revoke(serial: serial, reason: .keyCompromise, by: Self.admin)
        } == ["certificate.revoke"])
        #expect(try await Self.actions(runtime) {
            _ = try? await runtime.ca.revoke(serial: serial, reason: .keyCompromise, by: Self.admin)  // twice: refused, no change
        } == [])
        let tokens = APITokens(repository: runtime.store, clock: clock)
        var tokenID = ""
        #expect(try await Self.actions(runtime) {
            tokenID = try await tokens.create(role: .ci, team: "payments", name: "pipeline", by: Self.admin).1.id
        } == ["token.create"])
        #expect(try await Self.actions(runtime) { _ = try await tokens.revoke(id: tokenID, by: Self.admin) } == ["token.revoke"])
        #expect(try await Self.actions(runtime) { try await runtime.makeRevocation().publishAll() } == ["crl.publish", "crl.publish"])

        let releases = ReleaseSigning(ca: runtime.ca)
        var keyID = ""
        #expect(try await Self.actions(runtime) {
            keyID = try await releases.key(release: "v1", by: Self.ci).0.key.id
        } == ["key.generate", "certificate.issue", "release.key.create"])
        #expect(try await Self.actions(runtime) { _ = try await releases.key(release: "v1", by: Self.ci) } == [])
        #expect(try await Self.actions(runtime) {
            _ = try await releases.sign(keyID: keyID, digest: Array(SHA256.hash(data: [1])), algorithm: .sha256, by: Self.ci)
        } == ["signature.remote"])

        let rotation = RotationScheduler(ca: runtime.ca)
        #expect(try await Self.actions(runtime) { _ = try await rotation.rotate("issuing-ca-1", by: Self.admin) } == [
            "key.generate", "crl.publish", "authority.rotate", "certificate.issue", "authority.create",   // issuing-ca-2 takes over
            "key.generate", "certificate.issue", "authority.create",                       // its OCSP signer
        ])
        // Move the TSA off issuing-ca-1 too, then let time pass: once nothing it signed is alive, the old
        // CA is retired with its OCSP signer, and each retirement destroys exactly that authority's key.
        _ = try await rotation.rotate("timestamping-1", by: Self.admin)
        var retirement: [AuditEntry] = []
        let before = try await runtime.store.lastAuditEntry()?.sequence ?? 0
        for _ in 0..<10 {
            clock.advance(by: 86_400)
            _ = try await rotation.runDue(by: Self.admin)
        }
        retirement = try await runtime.store.auditEntries(AuditQuery(after: before, limit: 10_000))
        let retired = retirement.filter { $0.event.action == "authority.retire" }
        #expect(retired.contains { $0.event.target == "issuing-ca-1" })
        #expect(retired.contains { $0.event.target == "timestamping-1" })
        let destroyed = Set(retirement.filter { $0.event.action == "key.destroy" }.compactMap(\.event.target))
        for entry in retired { #expect(destroyed.contains(entry.event.details["key_id"] ?? "?"), "\(entry.event.target ?? "") retired without key.destroy") }
        #expect(destroyed.contains(keyID))  // the expired release key
        #expect(retirement.contains { $0.event.action == "key.retire" && $0.event.target == keyID })
        #expect(try await Self.actions(runtime) { _ = try await runtime.auditTrail.checkpoint(by: Self.admin) } == [])
    }

    @Test("checkpoints: signed by the HSM audit key; rewriting an entry, or cutting entries off the end, is detected")
    func checkpoints() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let trail = runtime.auditTrail
        for _ in 0..<3 { _ = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer) }
        let checkpoint = try #require(try await trail.checkpoint(by: Self.admin))
        #expect(try await trail.checkpoint(by: Self.admin) == nil)  // nothing new to cover
        let audit = try #require(try await runtime.store.keys().first { $0.purpose == .audit })
        #expect(try runtime.keyManager.protection(of: audit.reference).isFullyProtected)
        #expect(try await trail.verify().isIntact)

        // Rewrite the whole tail consistently (recomputing every hash): only the checkpoint catches it.
        let entries = try await runtime.store.auditEntries(AuditQuery(limit: 10_000))
        var previous = AuditChain.genesis
        var forged: [(Int64, String, String, String)] = []
        for entry in entries {
            var event = entry.event
            if entry.sequence == checkpoint.sequence - 1 { event.actor = "mallory" }
            let hash = AuditChain.hash(sequence: entry.sequence, event: event, previousHash: previous)
            forged.append((entry.sequence, event.actor, previous, hash))
            previous = hash
        }
        let rows = forged
        try await runtime.sqlite.write("forge") { db in
            for (sequence, actor, prev, hash) in rows {
                try db.execute(sql: "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", arguments: [actor, prev, hash, sequence])
            }
        }
        let rewritten = try await trail.verify()
        #expect(rewritten.firstProblem?.sequence == checkpoint.sequence)
        #expect(rewritten.firstProblem?.reason.contains("rewritten") == true)

        // Truncation: a second home, entries after the last checkpoint removed along with the checkpointed one.
        let other = try await TestEnvironment.makeRuntime()
        let otherTrail = other.auditTrail
        let checkpoints = try await other.store.checkpoints()
        let last = try #require(checkpoints.last)
        try await other.sqlite.write("truncate") { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq >= ?", arguments: [last.sequence]) }
        let truncated = try await otherTrail.verify()
        #expect(truncated.firstProblem?.reason.contains("removed from the end") == true)
    }

    @Test("a refresh signs the newest entry again and replaces its row, the token's anchor follows (old objects removed), and concurrent checkpoints leave rows and anchor agreeing")
    func refreshAndConcurrentCheckpoints() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let trail = runtime.auditTrail
        let first = try #require(try await runtime.store.newestCheckpoint())
        let refreshed = try #require(try await trail.checkpoint(by: Self.admin, refresh: true))
        #expect(refreshed.sequence == first.sequence && refreshed.entryHash == first.entryHash)
        #expect(refreshed.previousSequence == first.previousSequence && refreshed.timeMillis > first.timeMillis)
        #expect(try await runtime.store.checkpoints().count == 1)
        for copy in AuditAnchor.Copy.allCases {
            let values = try runtime.keyManager.anchorValues(copy)
            #expect(values.count == 1, "\(copy): \(values.count) anchor objects")
            #expect(try AuditAnchor.decode(try #require(values.first)).isSameStatement(as: refreshed))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    _ = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer)
                    _ = try await trail.checkpoint(by: Self.admin, refresh: index % 2 == 0)
                }
            }
            try await group.waitForAll()
        }
        _ = try await trail.checkpoint(by: Self.admin)
        let result = try await trail.verify()
        #expect(result.isIntact, "\(result.firstProblem?.summary ?? "")")
        #expect(result.anchor?.oneBehind == false && result.anchor?.sequence == result.lastSequence)
        let rows = try await runtime.store.checkpoints()
        for (earlier, later) in zip(rows, rows.dropFirst()) { #expect(later.previousSequence == earlier.sequence) }
    }

    @Test("checkpointing refuses to vouch for a trail the token's anchor says was cut short, or whose tail does not chain")
    func refusesToCheckpointTamperedTrail() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let trail = runtime.auditTrail
        for _ in 0..<2 { _ = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer) }
        let anchored = try #require(try await trail.checkpoint(by: Self.admin))
        try await runtime.sqlite.write("truncate") { db in
            try db.execute(sql: "DELETE FROM audit_log WHERE seq >= ?; DELETE FROM audit_checkpoints WHERE seq >= ?", arguments: [anchored.sequence, anchored.sequence])
        }
        _ = try await runtime.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer)
        await #expect(throws: SignetError.self) { try await trail.checkpoint(by: Self.admin, refresh: true) }
        #expect(try await runtime.store.newestCheckpoint()?.sequence ?? 0 < anchored.sequence)
        let verdict = try await trail.verify()
        #expect(verdict.firstProblem?.kind == .anchor, "\(verdict.firstProblem?.summary ?? "intact")")

        // A tail edited after the newest checkpoint: the next checkpoint would vouch for it, so it refuses.
        let other = try await TestEnvironment.makeRuntime()
        _ = try await other.ca.issue(.init(profile: "prerelease-codesign", csr: try Self.csr(), team: "payments"), by: Self.developer)
        try await other.sqlite.write("edit") { db in try db.execute(sql: "UPDATE audit_log SET actor = 'mallory' WHERE seq = (SELECT max(seq) FROM audit_log)") }
        do {
            _ = try await other.auditTrail.checkpoint(by: Self.admin)
            Issue.record("a checkpoint was signed over an edited entry")
        } catch let error as SignetError {
            #expect(error.reason.contains("Refusing to sign an audit checkpoint") && error.reason.contains("edited"), "\(error.reason)")
        }
    }

    @Test("a home whose checkpoints predate chaining and the anchor verifies and says so; its next checkpoint chains onto the old rows and creates the anchor, which then holds")
    func upgradeFromUnanchoredCheckpoints() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let trail = runtime.auditTrail
        // Make it a home of the previous version: v1 checkpoints at the last entry and three before it,
        // no anchor objects.
        let last = try #require(try await runtime.store.lastAuditEntry()?.sequence)
        for _ in AuditAnchor.Copy.allCases {
            try TestEnvironment.pkcs11Tool(["--delete-object", "--type", "data", "--application-label", "signet", "--label", "signet/audit-anchor"],
                                           home: runtime.home.directory, tokenLabel: runtime.home.config.hsm.tokenLabel)
        }
        #expect(try runtime.keyManager.anchorValues(.private).isEmpty && runtime.keyManager.anchorValues(.public).isEmpty)
        let (record, key) = try await trail.auditKey(by: Self.admin)
        var old: [AuditCheckpoint] = []
        for sequence in [last - 3, last] {
            let entry = try #require(try await runtime.store.auditRecords(after: sequence - 1, limit: 1).first)
            var checkpoint = AuditCheckpoint(sequence: sequence, entryHash: entry.hash, time: Date(), keyID: record.id, signature: [])
            checkpoint.signature = try key.sign(message: checkpoint.signedBytes)
            old.append(checkpoint)
        }
        let rows = old
        try await runtime.sqlite.write("downgrade") { db in
            try db.execute(sql: "DELETE FROM audit_checkpoints")
            for c in rows {
                try db.execute(sql: "INSERT INTO audit_checkpoints (seq, entry_hash, time_ms, key_id, signature) VALUES (?, ?, ?, ?, ?)",
                               arguments: [c.sequence, c.entryHash, c.timeMillis, c.keyID, Data(c.signature)])
            }
        }
        let before = try await trail.verify()
        #expect(before.isIntact, "\(before.firstProblem?.summary ?? "")")
        #expect(before.anchor == nil && before.notChecked.contains { $0.contains("there is none yet") })

        // Nothing new was logged, yet the checkpoint is signed: it is the one that creates the anchor.
        let first = try #require(try await trail.checkpoint(by: Self.admin))
        #expect(first.sequence == last && first.previousSequence == last - 3)
        let after = try await trail.verify()
        #expect(after.isIntact, "\(after.firstProblem?.summary ?? "")")
        #expect(after.anchor?.sequence == last && after.checkpoints == 2)
        #expect(try await trail.checkpoint(by: Self.admin) == nil)

        // From now on, taking the chained rows away is seen.
        try await runtime.sqlite.write("delete") { db in try db.execute(sql: "DELETE FROM audit_checkpoints WHERE previous_seq IS NOT NULL") }
        #expect(try await trail.verify().firstProblem?.reason.contains("checkpoint rows were deleted") == true)
    }

    @Test("a key created behind Signet's back with pkcs11-tool shows up as unknown in the inventory")
    func unknownKeyInToken() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        var inventory = try await Inventory.collect(ca: runtime.ca, counts: runtime.store, expiringWithin: .days(7))
        #expect(inventory.consistency.consistent)
        #expect(inventory.consistency.unknownInToken.isEmpty)
        try TestEnvironment.pkcs11Tool(["--keypairgen", "--key-type", "EC:prime256v1", "--label", "rogue", "--id", "deadbeef"],
                                       home: runtime.home.directory, tokenLabel: runtime.home.config.hsm.tokenLabel)
        inventory = try await Inventory.collect(ca: runtime.ca, counts: runtime.store, expiringWithin: .days(7))
        #expect(!inventory.consistency.consistent)
        #expect(inventory.consistency.unknownInToken.map(\.id) == ["deadbeef"])
        #expect(inventory.consistency.unknownInToken.first?.label == "rogue")
        let report = try await ComplianceReport.collect(ca: runtime.ca, trail: runtime.auditTrail, counts: runtime.store,
                                                        since: Date().addingTimeInterval(-86_400))
        #expect(report.anomalies.contains { $0.contains("rogue") && $0.contains("not in Signet's records") })
        #expect(report.keys.allSatisfy { $0.fullyProtected })
        #expect(report.markdown().contains("| signet/issuing-ca-1 | issuing-ca | ec-p256 | active | true | false | true | true | yes |"))
    }
}
