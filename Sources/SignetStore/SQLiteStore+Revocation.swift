import Foundation
import GRDB
import SignetCore

// MARK: Revocation publishing

extension SQLiteStore {
    public func revokedEntries(issuer: String, notExpiredAt now: Date) async throws -> [RevokedEntry] {
        try await read("listing revocations of \(issuer)") { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT serial, revoked_at, revocation_reason FROM certificates
                WHERE status = 'revoked' AND issuer = ? AND not_after > ? ORDER BY revoked_at, serial
                """, arguments: [issuer, now.timeIntervalSince1970])
            var entries: [RevokedEntry] = []
            while let row = try rows.next() {
                entries.append(RevokedEntry(
                    serial: Hex.decode(row["serial"] as String) ?? [], revokedAt: Date(timeIntervalSince1970: row["revoked_at"]),
                    reason: (row["revocation_reason"] as Int?).flatMap(RevocationReason.init(rawValue:))))
            }
            return entries
        }
    }

    public func nextCRLNumber(issuer: String, event: AuditEvent) async throws -> Int64 {
        try await write("allocating a CRL number for \(issuer)") { db in
            try db.execute(sql: """
                INSERT INTO crl_numbers (issuer, number) VALUES (?, 1)
                ON CONFLICT(issuer) DO UPDATE SET number = number + 1
                """, arguments: [issuer])
            let number = try Int64.fetchOne(db, sql: "SELECT number FROM crl_numbers WHERE issuer = ?", arguments: [issuer])!
            var audited = event
            audited.details["number"] = "\(number)"
            try Self.appendAudit(audited, in: db)
            return number
        }
    }

    public func revocationRevision() async throws -> Int64 {
        try await read("reading the revocation revision") { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'revocations'") ?? 0
        }
    }

    public func recordCRL(_ crl: PublishedCRL) async throws {
        try await write("recording CRL \(crl.number) of \(crl.issuer)") { db in try Self.upsertCRL(crl, in: db) }
    }

    /// Keeps the higher-numbered of the recorded CRL and `crl`.
    static func upsertCRL(_ crl: PublishedCRL, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO crls (issuer, number, this_update, next_update, entries, der) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(issuer) DO UPDATE SET number = excluded.number, this_update = excluded.this_update,
                next_update = excluded.next_update, entries = excluded.entries, der = excluded.der
            WHERE excluded.number > crls.number
            """, arguments: [crl.issuer, crl.number, crl.thisUpdate.timeIntervalSince1970, crl.nextUpdate.timeIntervalSince1970,
                             crl.entries, Data(crl.der)])
    }

    public func latestCRL(issuer: String) async throws -> PublishedCRL? {
        try await readPoint("reading the CRL of \(issuer)") { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT number, this_update, next_update, entries, der FROM crls WHERE issuer = ?"),
                             arguments: [issuer]).map { row in
                PublishedCRL(issuer: issuer, number: row[0], thisUpdate: Date(timeIntervalSince1970: row[1]),
                             nextUpdate: Date(timeIntervalSince1970: row[2]), entries: row[3], der: [UInt8](row[4] as Data))
            }
        }
    }

    public func reserveTimestampSerials(count: Int, event: AuditEvent) async throws -> Range<Int64> {
        try await write("reserving TSA serials") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO counters (name, value) VALUES ('tsa_serial', 0)")
            try db.execute(sql: "UPDATE counters SET value = value + ? WHERE name = 'tsa_serial'", arguments: [count])
            let end = try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'tsa_serial'")!
            var audited = event
            audited.details["first"] = "\(end - Int64(count) + 1)"
            audited.details["last"] = "\(end)"
            try Self.appendAudit(audited, in: db)
            // Serials start at 1 (RFC 3161 wants positive integers).
            return (end - Int64(count) + 1)..<(end + 1)
        }
    }
}
