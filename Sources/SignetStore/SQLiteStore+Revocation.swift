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

    public func nextCRLNumber(issuer: String) async throws -> Int64 {
        try await write("allocating a CRL number for \(issuer)") { db in
            try db.execute(sql: """
                INSERT INTO crl_numbers (issuer, number) VALUES (?, 1)
                ON CONFLICT(issuer) DO UPDATE SET number = number + 1
                """, arguments: [issuer])
            return try Int64.fetchOne(db, sql: "SELECT number FROM crl_numbers WHERE issuer = ?", arguments: [issuer])!
        }
    }

    public func revocationRevision() async throws -> Int64 {
        try await read("reading the revocation revision") { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'revocations'") ?? 0
        }
    }
}
