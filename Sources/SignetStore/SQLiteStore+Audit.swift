import Foundation
import GRDB
import SignetCore

// MARK: Audit checkpoints and filtered reads

extension SQLiteStore: AuditCheckpointRepository {
    public func lastAuditEntry() async throws -> AuditEntry? {
        try await read("reading the last audit entry") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").map(Self.auditEntry)
        }
    }

    public func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read("reading the audit trail") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, max(1, min(limit, 10_000))]).map { row in
                // Values read as stored: whatever type a writer of the file gave a column, its text is what is hashed.
                AuditRecord(sequence: Self.integer(row, "seq") ?? 0, timeMillis: Self.integer(row, "time_ms") ?? 0, actor: Self.text(row, "actor") ?? "", role: Self.text(row, "role"),
                            action: Self.text(row, "action") ?? "", target: Self.text(row, "target"), outcome: Self.text(row, "outcome") ?? "",
                            details: Self.text(row, "details") ?? "", previousHash: Self.text(row, "prev_hash") ?? "", hash: Self.text(row, "hash") ?? "")
            }
        }
    }

    /// A column as text (NULL as nil), converting what a direct edit of the file may have stored as
    /// another type: the file is input here, and GRDB's typed accessors trap on a value they cannot convert.
    static func text(_ row: Row, _ column: String) -> String? {
        let value: DatabaseValue = row[column]
        switch value.storage {
        case .null: return nil
        case .string(let text): return text
        case .int64(let number): return String(number)
        case .double(let number): return String(number)
        case .blob(let data): return String(decoding: data, as: UTF8.self)
        }
    }

    /// A column as an integer; nil when NULL or not an integer.
    static func integer(_ row: Row, _ column: String) -> Int64? {
        let value: DatabaseValue = row[column]
        switch value.storage {
        case .int64(let number): return number
        case .double(let number): return Int64(exactly: number)
        case .string(let text): return Int64(text)
        case .null, .blob: return nil
        }
    }

    /// A column as bytes (text as its UTF-8).
    static func bytes(_ row: Row, _ column: String) -> [UInt8] {
        let value: DatabaseValue = row[column]
        switch value.storage {
        case .blob(let data): return [UInt8](data)
        case .string(let text): return Array(text.utf8)
        case .null, .int64, .double: return []
        }
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await read("reading audit checkpoints") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq").map(Self.checkpoint)
        }
    }

    public func newestCheckpoint() async throws -> AuditCheckpoint? {
        try await read("reading the newest audit checkpoint") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").map(Self.checkpoint)
        }
    }

    public func recordCheckpoint(_ checkpoint: AuditCheckpoint, replacingNewest newest: AuditCheckpoint?) async throws {
        try await write("recording an audit checkpoint") { db in
            let current = try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").map(Self.checkpoint)
            guard current?.sequence == newest?.sequence, current?.timeMillis == newest?.timeMillis, current?.signature == newest?.signature else {
                throw SignetError.conflict("Another process recorded an audit checkpoint meanwhile (newest is now at entry \(current?.sequence ?? 0)); try again")
            }
            if let newest, newest.sequence == checkpoint.sequence {
                try db.execute(sql: "DELETE FROM audit_checkpoints WHERE seq = ?", arguments: [newest.sequence])
            }
            try db.execute(sql: "INSERT INTO audit_checkpoints (seq, entry_hash, time_ms, key_id, signature, previous_seq) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [checkpoint.sequence, checkpoint.entryHash, checkpoint.timeMillis, checkpoint.keyID, Data(checkpoint.signature),
                                       checkpoint.previousSequence])
        }
    }

    static func checkpoint(_ row: Row) -> AuditCheckpoint {
        AuditCheckpoint(sequence: integer(row, "seq") ?? 0, entryHash: text(row, "entry_hash") ?? "",
                        time: Date(timeIntervalSince1970: Double(integer(row, "time_ms") ?? 0) / 1000),
                        keyID: text(row, "key_id") ?? "", signature: bytes(row, "signature"), previousSequence: integer(row, "previous_seq"))
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await read("reading the audit trail") { db in
            var conditions = ["seq > ?"]
            var arguments: StatementArguments = [query.after]
            if let since = query.since { conditions.append("time_ms >= ?"); _ = arguments.append(contentsOf: [since.clampedMillisecondsSince1970]) }
            if let actor = query.actor { conditions.append("actor = ?"); _ = arguments.append(contentsOf: [actor]) }
            if let action = query.action { conditions.append("action = ?"); _ = arguments.append(contentsOf: [action]) }
            _ = arguments.append(contentsOf: [max(1, min(query.limit, 10_000))])
            return try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT ?", arguments: arguments)
                .map(Self.auditEntry)
        }
    }

    public func activateAuditKey(id: String, publicKey: [UInt8], event: AuditEvent) async throws {
        try await write("activating the audit key") { db in
            try db.execute(sql: "UPDATE keys SET state = 'active', public_key = ? WHERE id = ? AND state = 'pending'", arguments: [Data(publicKey), id])
            guard db.changesCount == 1 else { throw SignetError.conflict("Key \(id) is not pending") }
            try Self.appendAudit(event, in: db)
        }
    }
}

extension SQLiteStore: InventoryRepository {
    public func certificateCounts(at now: Date) async throws -> [CertificateCount] {
        try await read("counting certificates") { db in
            try Row.fetchAll(db, sql: """
                SELECT team, profile, CASE WHEN status = 'valid' AND not_after < ? THEN 'expired' ELSE status END AS shown, COUNT(*) AS n
                FROM certificates GROUP BY team, profile, shown ORDER BY profile, team, shown
                """, arguments: [now.timeIntervalSince1970]).map {
                CertificateCount(team: $0["team"], profile: $0["profile"], status: $0["shown"], count: $0["n"])
            }
        }
    }
}
