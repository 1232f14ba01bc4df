import Foundation
import PostgresNIO
import SignetCore

// MARK: Certificates

extension PostgresStore: CertificateRepository {
    /// Listings never return certificate bodies; `certificate(serial:)` does.
    static let listColumns = "serial, issuer, profile, subject, team, release, requester, key_id, not_before, not_after, status, revoked_at, revocation_reason, created_at"

    public func reserve(_ pending: PendingCertificate) async throws {
        let r = pending.record
        try await write("reserving serial \(r.serial)") { tx in
            // The primary key decides between nodes: of two reservations of one serial, one inserts.
            let inserted = try await tx.execute("""
                INSERT INTO certificates (serial, issuer, profile, subject, team, release, requester, key_id, not_before, not_after,
                                          status, tbs, created_at)
                VALUES (\(r.serial), \(r.issuer), \(r.profile), \(r.subject), \(r.team), \(r.release), \(r.requester), \(r.keyID),
                        \(r.notBefore.timeIntervalSince1970), \(r.notAfter.timeIntervalSince1970), 'pending', \(ByteBuffer(pending.tbs)),
                        \(r.createdAt.timeIntervalSince1970))
                ON CONFLICT (serial) DO NOTHING RETURNING 1
                """)
            guard inserted == 1 else { throw SignetError.conflict("Serial \(r.serial) is already recorded") }
        }
    }

    public func complete(serial: String, der: [UInt8], event: AuditEvent) async throws -> CertificateRecord {
        try await write("recording certificate \(serial)") { tx in
            let record = try await Self.completeCertificate(serial: serial, der: der, in: tx)
            try await tx.appendAudit(event)
            return record
        }
    }

    /// Pending → valid with its DER, which replaces the TBS kept while pending.
    @discardableResult
    static func completeCertificate(serial: String, der: [UInt8], in tx: PostgresTransaction) async throws -> CertificateRecord {
        guard let row = try await tx.row(PostgresQuery(unsafeSQL: """
            UPDATE certificates SET der = $1, tbs = NULL, status = 'valid' WHERE serial = $2 AND status = 'pending' RETURNING \(listColumns)
            """, binds: binds(ByteBuffer(der), serial))) else {
            throw SignetError.conflict("Certificate \(serial) is not pending; it cannot be completed twice")
        }
        var record = try certificateRecord(row)
        record.der = der
        return record
    }

    public func completeAuthority(_ authority: AuthorityRecord, der: [UInt8], superseding: String?, firstCRL: PublishedCRL?, events: [AuditEvent]) async throws {
        try await write("recording authority \(authority.name)") { tx in
            if let firstCRL {
                try await tx.execute("INSERT INTO crl_numbers (issuer, number) VALUES (\(firstCRL.issuer), \(firstCRL.number))")
                try await Self.upsertCRL(firstCRL, in: tx)
            }
            if let superseding { try await Self.supersede(superseding, at: authority.createdAt, in: tx) }
            try await Self.completeCertificate(serial: authority.certificateSerial, der: der, in: tx)
            guard try await tx.execute("UPDATE keys SET state = 'active' WHERE id = \(authority.keyID) AND state = 'pending' RETURNING 1") == 1 else {
                throw SignetError.conflict("Key \(authority.keyID) is not pending")
            }
            try await tx.execute("""
                INSERT INTO authorities (name, profile, kind, generation, key_id, parent, certificate_serial, certificate_der, state,
                                         created_at, not_after, rotate_at)
                VALUES (\(authority.name), \(authority.profile), \(authority.kind), \(authority.generation), \(authority.keyID), \(authority.parent),
                        \(authority.certificateSerial), \(ByteBuffer(authority.certificateDER)), \(authority.state.rawValue),
                        \(authority.createdAt.timeIntervalSince1970), \(authority.notAfter.timeIntervalSince1970), \(authority.rotateAt?.timeIntervalSince1970))
                """)
            try await Self.bumpAuthorityRevision(in: tx)
            for event in events { try await tx.appendAudit(event) }
        }
    }

    public func completeKeyCertificate(serial: String, der: [UInt8], keyID: String, superseding: [String], events: [AuditEvent]) async throws -> CertificateRecord {
        try await write("recording the certificate of key \(keyID)") { tx in
            let record = try await Self.completeCertificate(serial: serial, der: der, in: tx)
            guard try await tx.execute("UPDATE keys SET state = 'active' WHERE id = \(keyID) AND state = 'pending' RETURNING 1") == 1 else {
                throw SignetError.conflict("Key \(keyID) is not pending")
            }
            for old in superseding {
                try await tx.execute("UPDATE keys SET state = 'retiring' WHERE id = \(old) AND state = 'active'")
            }
            for event in events { try await tx.appendAudit(event) }
            return record
        }
    }

    public func certificate(serial: String) async throws -> CertificateRecord? {
        try await read("reading certificate \(serial)") { tx in
            try await Self.fetchCertificate(serial, in: tx, forUpdate: false)
        }
    }

    static func fetchCertificate(_ serial: String, in tx: PostgresTransaction, forUpdate: Bool) async throws -> CertificateRecord? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        return try await tx.row(PostgresQuery(unsafeSQL: "SELECT \(listColumns), der FROM certificates WHERE serial = $1\(lock)", binds: binds(serial)))
            .map { try certificateRecord($0) }
    }

    /// The WHERE clause of `query`, its values bound in `binds`.
    static func whereClause(_ query: CertificateQuery, _ binds: inout PostgresBindings) -> String {
        func bind<V: PostgresNonThrowingEncodable>(_ value: V) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions: [String] = []
        if let wanted = query.status { conditions.append("status = \(bind(wanted.rawValue))") }
        if let expiredAt = query.expiredAt { conditions.append("status = 'valid' AND not_after < \(bind(expiredAt.timeIntervalSince1970))") }
        if let team = query.team { conditions.append("team = \(bind(team))") }
        if let profile = query.profile { conditions.append("profile = \(bind(profile))") }
        if let issuer = query.issuer { conditions.append("issuer = \(bind(issuer))") }
        if let release = query.release { conditions.append("release = \(bind(release))") }
        if let keyID = query.keyID { conditions.append("key_id = \(bind(keyID))") }
        if let before = query.expiringBefore {
            conditions.append("status = 'valid' AND not_after > \(bind((query.now ?? Date()).timeIntervalSince1970)) AND not_after <= \(bind(before.timeIntervalSince1970))")
        }
        if let after = query.after, let cursor = CertificateQuery.Cursor(after) {
            // The cursor names its certificate by serial; its id is its place among equal notAfters.
            conditions.append("(not_after, id) > (\(bind(cursor.notAfter)), (SELECT id FROM certificates WHERE serial = \(bind(cursor.serial))))")
        }
        return conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    /// Up to `limit` records of `query` in listing order (notAfter, then issuance).
    static func listing(_ query: CertificateQuery, limit: Int, in tx: PostgresTransaction) async throws -> [CertificateRecord] {
        var binds = PostgresBindings()
        let clause = whereClause(query, &binds)
        binds.append(limit)
        let sql = "SELECT \(listColumns) FROM certificates \(clause) ORDER BY not_after, id LIMIT $\(binds.count)"
        return try await tx.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { try certificateRecord($0) }
    }

    public func certificates(_ query: CertificateQuery) async throws -> [CertificateRecord] {
        try await read("listing certificates") { tx in
            try await Self.listing(query, limit: max(1, min(query.limit, 10_000)), in: tx)
        }
    }

    public func certificateSummaries(_ query: CertificateQuery, now: Date) async throws -> CertificateSummaryPage {
        let pageSize = max(1, min(query.limit, 10_000))
        // One row more than the page: its presence says there is a next page.
        let records = try await read("listing certificates") { tx in try await Self.listing(query, limit: pageSize + 1, in: tx) }
        let page = records.prefix(pageSize)
        var json: [UInt8] = []
        for (index, record) in page.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += record.summary(at: now).json.utf8
        }
        let next = records.count > pageSize ? page.last.map(CertificateQuery.Cursor.init(after:)) : nil
        return CertificateSummaryPage(json: json, count: page.count, next: next)
    }

    public func countCertificates(_ query: CertificateQuery) async throws -> Int {
        try await read("counting certificates") { tx in
            var binds = PostgresBindings()
            let clause = Self.whereClause(query, &binds)
            return try await tx.scalar(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM certificates \(clause)", binds: binds), as: Int.self) ?? 0
        }
    }

    static func certificateRecord(_ row: PostgresRandomAccessRow) throws -> CertificateRecord {
        CertificateRecord(
            serial: try row.value("serial"), issuer: try row.value("issuer"), profile: try row.value("profile"), subject: try row.value("subject"),
            team: try row.value("team"), release: try row.value("release"), requester: try row.value("requester"), keyID: try row.value("key_id"),
            notBefore: try row.date("not_before"), notAfter: try row.date("not_after"),
            status: try row.stored(CertificateStatus.self, "status", table: "certificates"),
            revokedAt: try row.optionalDate("revoked_at"),
            revocationReason: try row.optionalStored(RevocationReason.self, "revocation_reason", table: "certificates"),
            der: row.contains("der") ? try row.optionalBytes("der") : nil, createdAt: try row.date("created_at"))
    }

    public func revoke(serial: String, reason: RevocationReason, at time: Date, event: AuditEvent) async throws -> CertificateRecord {
        try await write("revoking \(serial)") { tx in
            // The row lock makes two nodes revoking one certificate take turns: the second sees it revoked.
            guard let current = try await Self.fetchCertificate(serial, in: tx, forUpdate: true) else {
                throw SignetError.notFound("No certificate with serial \(serial)")
            }
            switch current.status {
            case .revoked:
                throw SignetError.conflict("Certificate \(serial) was already revoked at \(current.revokedAt.map { "\($0)" } ?? "?") (\(current.revocationReason?.name ?? "unspecified"))")
            case .pending:
                throw SignetError.conflict("Certificate \(serial) was never issued (its record is pending)")
            case .valid:
                break
            }
            try await tx.execute("UPDATE certificates SET status = 'revoked', revoked_at = \(time.timeIntervalSince1970), revocation_reason = \(reason.rawValue) WHERE serial = \(serial)")
            try await tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'revocations'")
            try await tx.appendAudit(event)
            // Read back, so the times are those stored (what every later read returns).
            guard let revoked = try await Self.fetchCertificate(serial, in: tx, forUpdate: false) else {
                throw SignetError.internalError("Certificate \(serial) vanished while being revoked")
            }
            return revoked
        }
    }
}

/// Bindings for a statement written with `$1`, `$2`, … (where the clause is assembled at run time).
func binds<each V: PostgresNonThrowingEncodable>(_ values: repeat each V) -> PostgresBindings {
    var bindings = PostgresBindings()
    repeat bindings.append(each values)
    return bindings
}
