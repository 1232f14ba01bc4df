import Foundation
import PostgresNIO
import SignetCore

// MARK: Keys and authorities

extension PostgresStore: KeyRepository, AuthorityRepository {
    public func recordPendingKey(_ key: KeyRecord, event: AuditEvent) async throws {
        try await write("recording key \(key.label)") { tx in
            try await Self.insertKey(key, in: tx)
            try await tx.appendAudit(event)
        }
    }

    public func recordPendingKey(_ key: KeyRecord, maxLivePerTeam: Int, event: AuditEvent) async throws {
        try await write("recording key \(key.label)") { tx in
            // Count and insert under a lock on (team, purpose), so two nodes cannot both see room for one more.
            try await tx.execute("SELECT pg_advisory_xact_lock(hashtext('signet.keys:' || \(key.team ?? "") || ':' || \(key.purpose.rawValue)))")
            let live = try await tx.scalar("""
                SELECT COUNT(*) FROM keys WHERE team IS NOT DISTINCT FROM \(key.team) AND purpose = \(key.purpose.rawValue) AND state IN ('pending', 'active')
                """, as: Int.self) ?? 0
            guard live < maxLivePerTeam else {
                throw SignetError.refused("Team \(key.team ?? "(none)") already holds \(live) live \(key.purpose.rawValue) keys, the limit of its profile "
                    + "(key.max_live_per_team); revoke the certificates of releases that no longer need signing (their keys are then destroyed) or raise the limit")
            }
            try await Self.insertKey(key, in: tx)
            try await tx.appendAudit(event)
        }
    }

    static func insertKey(_ key: KeyRecord, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO keys (id, label, algorithm, purpose, state, created_at, destroyed_at, team, release)
            VALUES (\(key.id), \(key.label), \(key.algorithm.rawValue), \(key.purpose.rawValue), \(key.state.rawValue),
                    \(key.createdAt.timeIntervalSince1970), \(key.destroyedAt?.timeIntervalSince1970), \(key.team), \(key.release))
            """)
    }

    public func keys() async throws -> [KeyRecord] {
        try await read("listing keys") { tx in try await tx.rows("SELECT * FROM keys ORDER BY created_at, id").map { try Self.keyRecord($0) } }
    }

    public func key(id: String) async throws -> KeyRecord? {
        try await read("reading key \(id)") { tx in try await tx.row("SELECT * FROM keys WHERE id = \(id)").map { try Self.keyRecord($0) } }
    }

    public func setKeyState(id: String, to state: KeyState, at time: Date, event: AuditEvent) async throws {
        try await write("updating key \(id)") { tx in
            let destroyed: Double? = (state == .destroyed || state == .abandoned) ? time.timeIntervalSince1970 : nil
            guard try await tx.execute("UPDATE keys SET state = \(state.rawValue), destroyed_at = COALESCE(\(destroyed), destroyed_at) WHERE id = \(id) RETURNING 1") == 1 else {
                throw SignetError.notFound("No key with id \(id)")
            }
            try await tx.appendAudit(event)
        }
    }

    static func keyRecord(_ row: PostgresRandomAccessRow) throws -> KeyRecord {
        KeyRecord(
            id: try row.value("id"), label: try row.value("label"), algorithm: try row.stored(KeyAlgorithm.self, "algorithm", table: "keys"),
            purpose: try row.stored(KeyPurpose.self, "purpose", table: "keys"), state: try row.stored(KeyState.self, "state", table: "keys"),
            createdAt: try row.date("created_at"), destroyedAt: try row.optionalDate("destroyed_at"), team: try row.value("team"), release: try row.value("release"))
    }

    public func authorities() async throws -> [AuthorityRecord] {
        try await read("listing authorities") { tx in
            try await tx.rows("SELECT * FROM authorities ORDER BY created_at, name").map { try Self.authorityRecord($0) }
        }
    }

    public func authority(named name: String) async throws -> AuthorityRecord? {
        try await read("reading authority \(name)") { tx in
            try await tx.row("SELECT * FROM authorities WHERE name = \(name)").map { try Self.authorityRecord($0) }
        }
    }

    static func authorityRecord(_ row: PostgresRandomAccessRow) throws -> AuthorityRecord {
        var record = AuthorityRecord(
            name: try row.value("name"), profile: try row.value("profile"), kind: try row.value("kind"), generation: try row.value("generation"),
            keyID: try row.value("key_id"), parent: try row.value("parent"), certificateSerial: try row.value("certificate_serial"),
            certificateDER: try row.bytes("certificate_der"), state: try row.stored(AuthorityState.self, "state", table: "authorities"),
            createdAt: try row.date("created_at"), notAfter: try row.date("not_after"), rotateAt: try row.optionalDate("rotate_at"))
        record.retiringSince = try row.optionalDate("retiring_since")
        return record
    }

    static func bumpAuthorityRevision(in tx: PostgresTransaction) async throws {
        try await tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'authorities'")
    }

    static func supersede(_ name: String, at time: Date, in tx: PostgresTransaction) async throws {
        let changed = try await tx.execute("""
            UPDATE authorities SET state = 'retiring', retiring_since = \(time.timeIntervalSince1970) WHERE name = \(name) AND state = 'active' RETURNING 1
            """)
        guard changed == 1 else { throw SignetError.conflict("Authority \(name) is not active; it cannot be superseded") }
    }

    public func promoteAuthority(_ name: String, superseding: String?, at time: Date, events: [AuditEvent]) async throws {
        try await write("promoting authority \(name)") { tx in
            guard try await tx.execute("UPDATE authorities SET state = 'active' WHERE name = \(name) AND state = 'next' RETURNING 1") == 1 else {
                throw SignetError.conflict("Authority \(name) is not waiting to take over")
            }
            if let superseding { try await Self.supersede(superseding, at: time, in: tx) }
            try await Self.bumpAuthorityRevision(in: tx)
            for event in events { try await tx.appendAudit(event) }
        }
    }

    public func retireAuthority(_ name: String, at time: Date, event: AuditEvent) async throws {
        try await write("retiring authority \(name)") { tx in
            guard let keyID = try await tx.scalar("""
                SELECT key_id FROM authorities WHERE name = \(name) AND state IN ('retiring', 'next', 'active') FOR UPDATE
                """, as: String.self) else {
                throw SignetError.conflict("Authority \(name) cannot be retired from its current state")
            }
            try await tx.execute("UPDATE authorities SET state = 'retired', retiring_since = COALESCE(retiring_since, \(time.timeIntervalSince1970)) WHERE name = \(name)")
            try await tx.execute("UPDATE keys SET state = 'retiring' WHERE id = \(keyID) AND state = 'active'")
            try await Self.bumpAuthorityRevision(in: tx)
            try await tx.appendAudit(event)
        }
    }

    public func latestExpiry(issuer: String) async throws -> Date? {
        try await read("reading the latest expiry of \(issuer)'s certificates") { tx in
            // As on SQLite: certificates of keys Signet holds count only while the key lives, and the CA's
            // own OCSP signers never keep it alive.
            try await tx.scalar("""
                SELECT MAX(not_after) FROM certificates
                WHERE issuer = \(issuer) AND status IN ('valid', 'revoked')
                  AND (key_id IS NULL OR key_id IN (SELECT id FROM keys WHERE state IN ('active', 'pending') AND purpose != 'ocsp-signer'))
                """, as: Double.self).map(Date.init(timeIntervalSince1970:))
        }
    }

    public func authorityRevision() async throws -> Int64 {
        try await read("reading the authority revision") { tx in
            try await tx.scalar("SELECT value FROM counters WHERE name = 'authorities'", as: Int64.self) ?? 0
        }
    }
}
