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

    public func appendCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await write("signing an audit checkpoint") { db in
            try db.execute(sql: "INSERT INTO audit_checkpoints (seq, entry_hash, time_ms, key_id, signature) VALUES (?, ?, ?, ?, ?)",
                           arguments: [checkpoint.sequence, checkpoint.entryHash, Int64((checkpoint.time.timeIntervalSince1970 * 1000).rounded()),
                                       checkpoint.keyID, Data(checkpoint.signature)])
        }
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await read("reading audit checkpoints") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq").map { row in
                AuditCheckpoint(sequence: row["seq"], entryHash: row["entry_hash"], time: Date(timeIntervalSince1970: Double(row["time_ms"] as Int64) / 1000),
                                keyID: row["key_id"], signature: [UInt8](row["signature"] as Data))
            }
        }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await read("reading the audit trail") { db in
            var conditions = ["seq > ?"]
            var arguments: StatementArguments = [query.after]
            if let since = query.since { conditions.append("time_ms >= ?"); _ = arguments.append(contentsOf: [Int64(since.timeIntervalSince1970 * 1000)]) }
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

    public func publicKey(ofKey id: String) async throws -> [UInt8]? {
        try await read("reading a public key") { db in
            try Data.fetchOne(db, sql: "SELECT public_key FROM keys WHERE id = ?", arguments: [id]).map { [UInt8]($0) }
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
