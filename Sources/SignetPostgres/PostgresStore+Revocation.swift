import Foundation
import PostgresNIO
import SignetCore

// MARK: Revocation publishing and TSA serials

extension PostgresStore: RevocationRepository, TimestampSerialRepository {
    public func revokedEntries(issuer: String, notExpiredAt now: Date) async throws -> [RevokedEntry] {
        try await read("listing revocations of \(issuer)") { tx in
            try await tx.rows("""
                SELECT serial, revoked_at, revocation_reason FROM certificates
                WHERE status = 'revoked' AND issuer = \(issuer) AND not_after > \(now.timeIntervalSince1970) ORDER BY revoked_at, serial
                """).map { row in
                RevokedEntry(serial: Hex.decode(try row.value("serial", as: String.self)) ?? [], revokedAt: try row.date("revoked_at"),
                             reason: try row.value("revocation_reason", as: Int?.self).flatMap(RevocationReason.init(rawValue:)))
            }
        }
    }

    public func nextCRLNumber(issuer: String, event: AuditEvent) async throws -> Int64 {
        try await write("allocating a CRL number for \(issuer)") { tx in
            // One statement takes the issuer's row lock, increments and returns: a node that waits for
            // the lock increments what the other committed, so numbers strictly increase across nodes
            // (RFC 5280 §5.2.3).
            guard let number = try await tx.scalar("""
                INSERT INTO crl_numbers (issuer, number) VALUES (\(issuer), 1)
                ON CONFLICT (issuer) DO UPDATE SET number = crl_numbers.number + 1 RETURNING number
                """, as: Int64.self) else {
                throw SignetError.internalError("Allocating a CRL number for \(issuer) returned none")
            }
            var audited = event
            audited.details["number"] = "\(number)"
            try await tx.appendAudit(audited)
            return number
        }
    }

    public func revocationRevision() async throws -> Int64 {
        try await read("reading the revocation revision") { tx in
            try await tx.scalar("SELECT value FROM counters WHERE name = 'revocations'", as: Int64.self) ?? 0
        }
    }

    public func recordCRL(_ crl: PublishedCRL) async throws {
        try await write("recording CRL \(crl.number) of \(crl.issuer)") { tx in try await Self.upsertCRL(crl, in: tx) }
    }

    /// Keeps the higher-numbered of the recorded CRL and `crl`.
    static func upsertCRL(_ crl: PublishedCRL, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO crls (issuer, number, this_update, next_update, entries, der)
            VALUES (\(crl.issuer), \(crl.number), \(crl.thisUpdate.timeIntervalSince1970), \(crl.nextUpdate.timeIntervalSince1970), \(crl.entries), \(ByteBuffer(crl.der)))
            ON CONFLICT (issuer) DO UPDATE SET number = excluded.number, this_update = excluded.this_update,
                next_update = excluded.next_update, entries = excluded.entries, der = excluded.der
            WHERE excluded.number > crls.number
            """)
    }

    public func latestCRL(issuer: String) async throws -> PublishedCRL? {
        try await read("reading the CRL of \(issuer)") { tx in
            try await tx.row("SELECT number, this_update, next_update, entries, der FROM crls WHERE issuer = \(issuer)").map { row in
                PublishedCRL(issuer: issuer, number: try row.value("number"), thisUpdate: try row.date("this_update"),
                             nextUpdate: try row.date("next_update"), entries: try row.value("entries"), der: try row.bytes("der"))
            }
        }
    }

    public func reserveTimestampSerials(count: Int, event: AuditEvent) async throws -> Range<Int64> {
        guard (1...1_000_000).contains(count) else {
            throw SignetError.internalError("Expected a block of 1 to 1000000 TSA serials, got \(count)")
        }
        return try await write("reserving TSA serials") { tx in
            // As for CRL numbers: the counter row's lock orders blocks taken by different nodes, and
            // each starts where the previous one committed ended, so blocks never overlap.
            guard let end = try await tx.scalar("""
                INSERT INTO counters (name, value) VALUES ('tsa_serial', \(count))
                ON CONFLICT (name) DO UPDATE SET value = counters.value + \(count) RETURNING value
                """, as: Int64.self) else {
                throw SignetError.internalError("Reserving TSA serials returned no counter")
            }
            let first = end - Int64(count) + 1
            var audited = event
            audited.details["first"] = "\(first)"
            audited.details["last"] = "\(end)"
            try await tx.appendAudit(audited)
            // Serials start at 1 (RFC 3161 wants positive integers).
            return first..<(end + 1)
        }
    }
}
