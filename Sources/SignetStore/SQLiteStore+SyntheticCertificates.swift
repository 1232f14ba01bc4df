import Foundation
import GRDB
import SignetCore

// MARK: Synthetic certificates for the benchmarks

/// Synthetic certificate rows for `make bench` (`signet-bench populate` and `crl`), written straight
/// into the store with one INSERT … SELECT over a recursive CTE: SQLite generates the rows, in serial
/// order and with a large page cache on the writing connection, so a million take seconds rather than
/// minutes. Rows are marked with the requester ``SQLiteStore/syntheticRequester``. Serials are 20
/// random octets with a first octet of 0x01–0x7f (positive, minimal DER), like Signet's own; `der` is
/// a real issued certificate's DER and, as for a completed certificate, there is no separate `tbs`,
/// so rows have the size of real ones. Nothing but the benchmarks calls these.
extension SQLiteStore {
    /// The requester recorded on every synthetic row.
    public static let syntheticRequester = "signet-bench"

    /// Inserts `count` rows for `issuer`. `revoked` is the share revoked (1.0: all), with reasons
    /// spread over unspecified, keyCompromise, superseded and cessationOfOperation and revocation
    /// times within the last 7 days. Fully revoked batches (the CRL benchmark) are valid from an hour
    /// ago for 7 days, so every entry belongs on the CRL; mixed batches (store scale) spread 20 teams
    /// (`payments` and `team-01`…`team-19`), notBefore over the last 30 days and lifetimes of 1 h to 7 d.
    public func insertSyntheticCertificates(count: Int, issuer: String, revoked: Double, now: Date) async throws {
        guard count > 0 else { return }
        guard (0...20_000_000).contains(count), (0...1).contains(revoked) else {
            throw SignetError.malformed("Expected 0...20000000 synthetic certificates with a revoked share of 0...1, got \(count) and \(revoked)")
        }
        guard issuer.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw SignetError.malformed("Issuer name '\(issuer)' has characters a benchmark does not expect")
        }
        let t = now.timeIntervalSince1970
        let revokedPerMille = Int((revoked * 1000).rounded())
        let allRevoked = revokedPerMille >= 1000
        let notBefore = allRevoked ? "\(t - 3600)" : "\(t) - (abs(random()) % 2592000)"
        let lifetime = allRevoked ? "604800" : "(3600 + abs(random()) % 601200)"
        let sql = """
            WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < \(count)),
            sample(der) AS MATERIALIZED (SELECT coalesce(
                (SELECT der FROM certificates WHERE der IS NOT NULL AND profile = 'prerelease-codesign' LIMIT 1),
                (SELECT der FROM certificates WHERE der IS NOT NULL LIMIT 1), zeroblob(700))),
            rows(i, serial, nb, life, rev, reason) AS MATERIALIZED (
                SELECT i, printf('%02x', 1 + abs(random()) % 127) || lower(hex(randomblob(19))), \(notBefore), \(lifetime),
                       abs(random()) % 1000 < \(revokedPerMille),
                       CASE abs(random()) % 4 WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 4 ELSE 5 END FROM seq)
            INSERT INTO certificates (serial, issuer, profile, subject, team, release, requester, key_id, not_before, not_after,
                                      status, revoked_at, revocation_reason, tbs, der, created_at)
            SELECT serial, '\(issuer)', 'prerelease-codesign',
                   'CN=bench ' || i, CASE i % 20 WHEN 0 THEN 'payments' ELSE printf('team-%02d', i % 20) END, NULL,
                   '\(Self.syntheticRequester)', NULL, nb, nb + life,
                   CASE WHEN rev THEN 'revoked' ELSE 'valid' END,
                   CASE WHEN rev THEN \(t) - (abs(random()) % 604800) ELSE NULL END,
                   CASE WHEN rev THEN reason ELSE NULL END,
                   NULL, sample.der, nb
            FROM rows, sample ORDER BY serial
            """
        try await write("inserting \(count) synthetic certificates") { db in
            try db.execute(sql: "PRAGMA cache_size = -1048576")
            try db.execute(sql: sql)
        }
        try await write("restoring the page cache size") { db in
            try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
        }
    }

    /// Synthetic rows of `issuer` with `status` that have not expired.
    public func syntheticCertificateCount(issuer: String, status: CertificateStatus) async throws -> Int {
        try await read("counting synthetic certificates") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM certificates WHERE requester = ? AND issuer = ? AND status = ? AND not_after > ?",
                             arguments: [Self.syntheticRequester, issuer, status.rawValue, Date().timeIntervalSince1970]) ?? 0
        }
    }

    /// Removes every row ``insertSyntheticCertificates(count:issuer:revoked:now:)`` made.
    public func removeSyntheticCertificates() async throws {
        try await write("removing synthetic certificates") { db in
            try db.execute(sql: "DELETE FROM certificates WHERE requester = ?", arguments: [Self.syntheticRequester])
        }
    }
}
