import Foundation
import SignetCore
import SignetTestSupport
import Testing

/// Someone who can write `signet.db` (sqlite3, openssl, a key of their own) against the real CLI and
/// the real SoftHSM2 token: every rewrite of the trail makes `signet audit verify` exit 7 (untrusted) with one
/// line naming what is wrong and the entry, with the PIN and without it.
///
/// The home (``AuditTestHome/make(_:)``) has chained checkpoints at entries c1 (init's last), c2 (after
/// three certificates, c1 + 3) and c3 (after a token, the last entry); the token's anchor is c3.
@Suite struct AuditTamperTests {
    enum Attack: String, CaseIterable, CustomTestStringConvertible {
        case checkpointRowsDeleted
        case newestCheckpointRowDeleted
        case middleCheckpointRowDeleted
        case oldestCheckpointRowDeleted
        case tailTruncated
        case tailTruncatedWithItsCheckpoints
        case foreignKeyCheckpoint
        case foreignKeyImportedIntoTokenWithoutPIN
        case consistentRewrite
        case consistentRewriteWithoutCheckpoints
        case consistentRewriteWithForgedCheckpoints

        var testDescription: String { rawValue }

        /// The entry the one-line error must name, and words it must contain, for checkpoints at c1, c2, c3.
        func expected(_ c1: Int, _ c2: Int, _ c3: Int) -> (entry: Int, words: String) {
            let cut = c1 + 1  // the truncated trail ends here
            switch self {
            case .checkpointRowsDeleted: return (c3, "but the database has no checkpoints: checkpoint rows were deleted")
            case .newestCheckpointRowDeleted: return (c3, "but the newest checkpoint in the database is at entry \(c2)")
            case .middleCheckpointRowDeleted: return (c3, "signed after one at entry \(c2), which is not in the database: checkpoint rows were deleted")
            case .oldestCheckpointRowDeleted: return (c2, "signed after one at entry \(c1), which is not in the database: checkpoint rows were deleted")
            case .tailTruncated: return (c2, "but the trail ends at \(cut): entries were removed from the end")
            case .tailTruncatedWithItsCheckpoints: return (c3, "the token's audit anchor pins entry \(c3), but the trail ends at \(cut): entries were removed from the end")
            case .foreignKeyCheckpoint: return (cut, "which the token does not hold")
            case .foreignKeyImportedIntoTokenWithoutPIN: return (cut, "is signed by key f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0, which the token")
            case .consistentRewrite: return (c1, "checkpoint does not match entry \(c1): the entry or its predecessors were rewritten")
            case .consistentRewriteWithoutCheckpoints: return (c3, "the token's audit anchor does not match entry \(c3): the entry or its predecessors were rewritten")
            case .consistentRewriteWithForgedCheckpoints: return (c1, "which the token does not hold")
            }
        }
    }

    @Test("every way of rewriting the trail through the database is caught, with the PIN and without", arguments: Attack.allCases)
    func attack(_ attack: Attack) throws {
        let audit = try AuditTestHome.make("tamper")
        #expect(try audit.verify(pin: true).succeeded)
        let rows = try audit.checkpointSequences()
        try #require(rows.count == 3 && rows[1] == rows[0] + 3 && rows[2] > rows[1], "\(rows)")
        let expected = attack.expected(rows[0], rows[1], rows[2])
        try Self.apply(attack, to: audit, c1: rows[0], c2: rows[1], c3: rows[2])
        for pin in [true, false] {
            let result = try audit.verify(pin: pin)
            let line = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(result.status == 7, "\(attack) (pin: \(pin)): verify exited \(result.status): \(result.output)")
            #expect(!line.isEmpty && !line.contains("\n"), "\(attack) (pin: \(pin)): not one line: \(line)")
            #expect(line.hasPrefix("signet: Audit trail broken at entry \(expected.entry): "), "\(attack) (pin: \(pin)): \(line)")
            #expect(line.contains(expected.words), "\(attack) (pin: \(pin)): \(line)")
            if attack == .foreignKeyImportedIntoTokenWithoutPIN {
                // With the PIN the key has no private half; without it, the public half was imported, not generated.
                #expect(line.contains(pin ? "which the token does not hold" : "its public half was imported into the token"), "\(line)")
            }
        }
    }

    static func apply(_ attack: Attack, to audit: AuditTestHome, c1: Int, c2: Int, c3: Int) throws {
        let cut = c1 + 1
        switch attack {
        case .checkpointRowsDeleted:
            try audit.sql("DELETE FROM audit_checkpoints")
        case .newestCheckpointRowDeleted:
            try audit.sql("DELETE FROM audit_checkpoints WHERE seq = \(c3)")
        case .middleCheckpointRowDeleted:
            try audit.sql("DELETE FROM audit_checkpoints WHERE seq = \(c2)")
        case .oldestCheckpointRowDeleted:
            try audit.sql("DELETE FROM audit_checkpoints WHERE seq = \(c1)")
        case .tailTruncated:
            try audit.sql("DELETE FROM audit_log WHERE seq > \(cut)")
        case .tailTruncatedWithItsCheckpoints:
            try audit.sql("DELETE FROM audit_log WHERE seq > \(cut); DELETE FROM audit_checkpoints WHERE seq > \(cut)")
        case .foreignKeyCheckpoint:
            // Cut the trail back to `cut` and sign a checkpoint there with a key of one's own, recorded in
            // the keys table as the active audit key.
            try audit.sql("DELETE FROM audit_log WHERE seq > \(cut); DELETE FROM audit_checkpoints WHERE seq > \(cut)")
            let key = try ForeignKey(audit)
            try key.recordAsActiveAuditKey(in: audit)
            try key.insertCheckpoint(in: audit, sequence: Int64(cut), previous: Int64(c1))
        case .foreignKeyImportedIntoTokenWithoutPIN:
            // The same, and the foreign public key put into the token too (a public object needs no PIN).
            try audit.sql("DELETE FROM audit_log WHERE seq > \(cut); DELETE FROM audit_checkpoints WHERE seq > \(cut)")
            let key = try ForeignKey(audit)
            try key.recordAsActiveAuditKey(in: audit)
            try audit.pkcs11Tool(["--write-object", key.publicKeyDER, "--type", "pubkey", "--id", key.id, "--label", "signet/audit"])
            try key.insertCheckpoint(in: audit, sequence: Int64(cut), previous: Int64(c1))
        case .consistentRewrite:
            try Self.rewrite(audit)
        case .consistentRewriteWithoutCheckpoints:
            try Self.rewrite(audit)
            try audit.sql("DELETE FROM audit_checkpoints")
        case .consistentRewriteWithForgedCheckpoints:
            try Self.rewrite(audit)
            try audit.sql("DELETE FROM audit_checkpoints")
            let key = try ForeignKey(audit)
            try key.recordAsActiveAuditKey(in: audit)
            try key.insertCheckpoint(in: audit, sequence: Int64(c1), previous: 0)
            try key.insertCheckpoint(in: audit, sequence: Int64(c2), previous: Int64(c1))
            try key.insertCheckpoint(in: audit, sequence: Int64(c3), previous: Int64(c2))
        }
    }

    /// Changes entry 2's actor and recomputes every hash after it, so the chain itself is intact.
    static func rewrite(_ audit: AuditTestHome) throws {
        let rows = try audit.sql("SELECT seq, time_ms, actor, quote(role), action, quote(target), outcome, hex(details) FROM audit_log ORDER BY seq")
        var previous = AuditChain.genesis
        var script = "BEGIN;\n"
        for row in rows {
            let fields = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let sequence = Int64(fields[0])!
            func unquote(_ text: String) -> String? { text == "NULL" ? nil : String(text.dropFirst().dropLast()) }
            let details = String(decoding: Hex.decode(fields[7]) ?? [], as: UTF8.self)
            var record = AuditRecord(sequence: sequence, timeMillis: Int64(fields[1])!, actor: sequence == 2 ? "mallory" : fields[2], role: unquote(fields[3]),
                                     action: fields[4], target: unquote(fields[5]), outcome: fields[6], details: details, previousHash: previous, hash: "")
            record.hash = AuditChain.hash(record)
            script += "UPDATE audit_log SET actor = '\(record.actor)', prev_hash = '\(previous)', hash = '\(record.hash)' WHERE seq = \(sequence);\n"
            previous = record.hash
        }
        try audit.sql(script + "COMMIT;")
        // The chain alone now checks out: recomputed by the documented canonical form.
        #expect(try audit.sql("SELECT actor FROM audit_log WHERE seq = 2") == ["mallory"])
    }

    /// A P-256 key made with openssl, outside the HSM.
    struct ForeignKey {
        let path: String
        let publicKeyDER: String
        let id = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"

        init(_ audit: AuditTestHome) throws {
            path = audit.work + "/foreign.key"
            publicKeyDER = audit.work + "/foreign.der"
            try OpenSSL.check(ProcessRunner.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]), "genpkey")
            try OpenSSL.check(ProcessRunner.run("openssl", ["pkey", "-in", path, "-pubout", "-outform", "DER", "-out", publicKeyDER]), "pkey")
        }

        /// The database now says this is the active audit key, with its public key (which proves nothing).
        func recordAsActiveAuditKey(in audit: AuditTestHome) throws {
            let spki = try Data(contentsOf: URL(fileURLWithPath: publicKeyDER)).map { String(format: "%02x", $0) }.joined()
            try audit.sql("""
                UPDATE keys SET state = 'retired' WHERE purpose = 'audit';
                INSERT INTO keys (id, label, algorithm, purpose, state, created_at, public_key)
                VALUES ('\(id)', 'signet/audit', 'ec-p256', 'audit', 'active', 0, X'\(spki)');
                """)
        }

        /// Signs a chained checkpoint over entry `sequence` with this key, exactly as Signet would, and inserts it.
        func insertCheckpoint(in audit: AuditTestHome, sequence: Int64, previous: Int64) throws {
            let hash = try audit.sql("SELECT hash FROM audit_log WHERE seq = \(sequence)")[0]
            let time = Int64(Date().timeIntervalSince1970 * 1000)
            let message = audit.work + "/forged-\(sequence).txt", signature = audit.work + "/forged-\(sequence).sig"
            try "signet-audit-checkpoint-v2|\(sequence)|\(hash)|\(time)|\(previous)".write(toFile: message, atomically: true, encoding: .utf8)
            try OpenSSL.check(ProcessRunner.run("openssl", ["dgst", "-sha256", "-sign", path, "-out", signature, message]), "openssl dgst -sign")
            let signatureHex = try Data(contentsOf: URL(fileURLWithPath: signature)).map { String(format: "%02x", $0) }.joined()
            try audit.sql("INSERT INTO audit_checkpoints (seq, entry_hash, time_ms, key_id, signature, previous_seq) VALUES (\(sequence), '\(hash)', \(time), '\(id)', X'\(signatureHex)', \(previous))")
        }
    }
}
