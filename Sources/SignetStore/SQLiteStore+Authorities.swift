import Foundation
import GRDB
import SignetCore

// MARK: Authority lifecycle (rotation and retirement)

extension SQLiteStore {
    static func bumpAuthorityRevision(in db: Database) throws {
        try db.execute(sql: "UPDATE counters SET value = value + 1 WHERE name = 'authorities'")
    }

    static func supersede(_ name: String, at time: Date, in db: Database) throws {
        try db.execute(sql: "UPDATE authorities SET state = 'retiring', retiring_since = ? WHERE name = ? AND state = 'active'",
                       arguments: [time.timeIntervalSince1970, name])
        guard db.changesCount == 1 else { throw SignetError.conflict("Authority \(name) is not active; it cannot be superseded") }
    }

    public func promoteAuthority(_ name: String, superseding: String?, at time: Date, events: [AuditEvent]) async throws {
        try await write("promoting authority \(name)") { db in
            try db.execute(sql: "UPDATE authorities SET state = 'active' WHERE name = ? AND state = 'next'", arguments: [name])
            guard db.changesCount == 1 else { throw SignetError.conflict("Authority \(name) is not waiting to take over") }
            if let superseding { try Self.supersede(superseding, at: time, in: db) }
            try Self.bumpAuthorityRevision(in: db)
            for event in events { try Self.appendAudit(event, in: db) }
        }
    }

    public func retireAuthority(_ name: String, at time: Date, event: AuditEvent) async throws {
        try await write("retiring authority \(name)") { db in
            guard let keyID = try String.fetchOne(db, sql: "SELECT key_id FROM authorities WHERE name = ? AND state IN ('retiring', 'next', 'active')", arguments: [name]) else {
                throw SignetError.conflict("Authority \(name) cannot be retired from its current state")
            }
            try db.execute(sql: "UPDATE authorities SET state = 'retired', retiring_since = COALESCE(retiring_since, ?) WHERE name = ?",
                           arguments: [time.timeIntervalSince1970, name])
            try db.execute(sql: "UPDATE keys SET state = 'retiring' WHERE id = ? AND state = 'active'", arguments: [keyID])
            try Self.bumpAuthorityRevision(in: db)
            try Self.appendAudit(event, in: db)
        }
    }

    public func latestExpiry(issuer: String) async throws -> Date? {
        try await read("reading the latest expiry of \(issuer)'s certificates") { db in
            // Certificates of keys Signet holds count only while the key lives, and the CA's own OCSP
            // signers never keep it alive (they exist only to answer for it).
            try Double.fetchOne(db, sql: """
                SELECT MAX(not_after) FROM certificates
                WHERE issuer = ? AND status IN ('valid', 'revoked')
                  AND (key_id IS NULL OR key_id IN (SELECT id FROM keys WHERE state IN ('active', 'pending') AND purpose != 'ocsp-signer'))
                """, arguments: [issuer])
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    public func authorityRevision() async throws -> Int64 {
        try await read("reading the authority revision") { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'authorities'") ?? 0
        }
    }
}

extension AuthorityRecord {
    func with(retiringSince: Date?) -> AuthorityRecord {
        var copy = self
        copy.retiringSince = retiringSince
        return copy
    }
}
