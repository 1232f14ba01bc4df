import Foundation
import PostgresNIO
import SignetCore

// MARK: Audit trail, checkpoints and inventory

extension PostgresStore: AuditRepository, AuditCheckpointRepository, InventoryRepository {
    public func append(_ event: AuditEvent) async throws {
        try await write("appending to the audit trail") { tx in try await tx.appendAudit(event) }
    }

    public func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await auditRecords(after: sequence, limit: limit).map(Self.auditEntry)
    }

    public func lastAuditEntry() async throws -> AuditEntry? {
        try await read("reading the last audit entry") { tx in
            try await tx.row("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").map { Self.auditEntry(try Self.auditRecord($0)) }
        }
    }

    public func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read("reading the audit trail") { tx in
            try await tx.rows("SELECT * FROM audit_log WHERE seq > \(sequence) ORDER BY seq LIMIT \(max(1, min(limit, 10_000)))").map(Self.auditRecord)
        }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await read("reading the audit trail") { tx in
            var binds = PostgresBindings()
            func bind<V: PostgresNonThrowingEncodable>(_ value: V) -> String {
                binds.append(value)
                return "$\(binds.count)"
            }
            var conditions = ["seq > \(bind(query.after))"]
            if let since = query.since { conditions.append("time_ms >= \(bind(since.clampedMillisecondsSince1970))") }
            if let actor = query.actor { conditions.append("actor = \(bind(actor))") }
            if let action = query.action { conditions.append("action = \(bind(action))") }
            let sql = "SELECT * FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT \(bind(max(1, min(query.limit, 10_000))))"
            return try await tx.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { Self.auditEntry(try Self.auditRecord($0)) }
        }
    }

    /// An entry exactly as stored: what its hash covers.
    static func auditRecord(_ row: PostgresRandomAccessRow) throws -> AuditRecord {
        AuditRecord(sequence: try row.value("seq"), timeMillis: try row.value("time_ms"), actor: try row.value("actor"), role: try row.value("role"),
                    action: try row.value("action"), target: try row.value("target"), outcome: try row.value("outcome"),
                    details: try row.value("details"), previousHash: try row.value("prev_hash"), hash: try row.value("hash"))
    }

    /// An entry for display; details that do not parse read as none (verification reads the records).
    static func auditEntry(_ record: AuditRecord) -> AuditEntry {
        let details = (try? JSONDecoder().decode([String: String].self, from: Data(record.details.utf8))) ?? [:]
        let event = AuditEvent(
            time: Date(timeIntervalSince1970: Double(record.timeMillis) / 1000), actor: record.actor, role: record.role, action: record.action,
            target: record.target, outcome: AuditEvent.Outcome(rawValue: record.outcome) ?? .failed, details: details)
        return AuditEntry(sequence: record.sequence, event: event, previousHash: record.previousHash, hash: record.hash)
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await read("reading audit checkpoints") { tx in
            try await tx.rows("SELECT * FROM audit_checkpoints ORDER BY seq").map(Self.checkpoint)
        }
    }

    public func newestCheckpoint() async throws -> AuditCheckpoint? {
        try await read("reading the newest audit checkpoint") { tx in
            try await tx.row("SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").map(Self.checkpoint)
        }
    }

    public func recordCheckpoint(_ checkpoint: AuditCheckpoint, replacingNewest newest: AuditCheckpoint?) async throws {
        try await write("recording an audit checkpoint") { tx in
            // Compare and set across nodes: the table lock makes the newest row read here the newest at commit.
            try await tx.execute("LOCK TABLE audit_checkpoints IN EXCLUSIVE MODE")
            let current = try await tx.row("SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").map(Self.checkpoint)
            guard current?.sequence == newest?.sequence, current?.timeMillis == newest?.timeMillis, current?.signature == newest?.signature else {
                throw SignetError.conflict("Another process recorded an audit checkpoint meanwhile (newest is now at entry \(current?.sequence ?? 0)); try again")
            }
            if let newest, newest.sequence == checkpoint.sequence {
                try await tx.execute("DELETE FROM audit_checkpoints WHERE seq = \(newest.sequence)")
            }
            try await tx.execute("""
                INSERT INTO audit_checkpoints (seq, entry_hash, time_ms, key_id, signature, previous_seq)
                VALUES (\(checkpoint.sequence), \(checkpoint.entryHash), \(checkpoint.timeMillis), \(checkpoint.keyID), \(ByteBuffer(checkpoint.signature)),
                        \(checkpoint.previousSequence))
                """)
        }
    }

    static func checkpoint(_ row: PostgresRandomAccessRow) throws -> AuditCheckpoint {
        AuditCheckpoint(sequence: try row.value("seq"), entryHash: try row.value("entry_hash"),
                        time: Date(timeIntervalSince1970: Double(try row.value("time_ms", as: Int64.self)) / 1000),
                        keyID: try row.value("key_id"), signature: try row.bytes("signature"), previousSequence: try row.value("previous_seq"))
    }

    public func activateAuditKey(id: String, publicKey: [UInt8], event: AuditEvent) async throws {
        try await write("activating the audit key") { tx in
            guard try await tx.execute("UPDATE keys SET state = 'active', public_key = \(ByteBuffer(publicKey)) WHERE id = \(id) AND state = 'pending' RETURNING 1") == 1 else {
                throw SignetError.conflict("Key \(id) is not pending")
            }
            try await tx.appendAudit(event)
        }
    }

    public func certificateCounts(at now: Date) async throws -> [CertificateCount] {
        try await read("counting certificates") { tx in
            try await tx.rows("""
                SELECT team, profile, CASE WHEN status = 'valid' AND not_after < \(now.timeIntervalSince1970) THEN 'expired' ELSE status END AS shown, COUNT(*) AS n
                FROM certificates GROUP BY team, profile, shown ORDER BY profile, team, shown
                """).map { row in
                CertificateCount(team: try row.value("team"), profile: try row.value("profile"), status: try row.value("shown"), count: try row.value("n"))
            }
        }
    }
}
