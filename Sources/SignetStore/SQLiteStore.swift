import Foundation
import GRDB
import GRDBSQLite
import SignetCore

/// Signet's store on SQLite (GRDB, WAL, `synchronous=FULL`): issuers, keys, certificates and the
/// audit trail. Every state change commits in one IMMEDIATE transaction together with its audit
/// entry, so there is never an event without its change or a change without its event, and a
/// certificate is on disk before any caller sees it.
public final class SQLiteStore: SignetRepository, @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    private let writer: GroupCommitWriter
    private let inlineReaders: InlineReaders
    private let readerThreads: ReaderThreads

    /// Opens (creating and migrating if needed) the database at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        // The pool's readers serve multi-statement reads (CRLs, audit verification, exports), which can
        // run for seconds and so stay off the listing threads. One per core plus one.
        configuration.maximumReaderCount = ProcessInfo.processInfo.activeProcessorCount + 1
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets synchronous=NORMAL when it enables WAL, after prepareDatabase ran: restore FULL
            // on the writer so every commit is on disk (fsync of the WAL) before anyone is answered.
            //
            // Group commit runs every write in its own SAVEPOINT, and SQLite copies each page a savepoint
            // changes into a sub-journal so the savepoint can roll back alone. By default that sub-journal
            // spills to a temporary file: two pwrite calls per page, about seven pages per issued
            // certificate. In memory it is a copy, and it is emptied when each savepoint is released, so it
            // never holds more than one write's pages. Only the writer: readers' sorts keep their files.
            //
            // The writer's page cache outlives its transactions (nothing else writes), but SQLite's
            // default is 2 MiB. Serials are random, so every certificate lands on a random leaf of the
            // serial index, which alone is about 45 MiB at a million certificates; with 2 MiB nearly
            // each of those leaves is read back from disk (three preads per certificate at 340,000).
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -\(Self.writerCacheKiB)")
            }
            let upgrading = try pool.read { db in
                try db.tableExists("certificates") && !(try Self.migrator.hasCompletedMigrations(db))
            }
            if upgrading {
                // Some upgrades rewrite the certificates table; say why start-up takes a while.
                FileHandle.standardError.write(Data("signet: upgrading the store at \(path) to the current schema (once; large stores take about 2 minutes per million certificates)\n".utf8))
            }
            try Self.migrator.migrate(pool)
            self.pool = pool
            self.writer = GroupCommitWriter(pool: pool)
            self.inlineReaders = try InlineReaders(path: path, count: ProcessInfo.processInfo.activeProcessorCount, configuration: configuration)
            // One listing thread per core: with 2 cores, 2 threads answered 45-60% more listings than
            // GRDB's pool at 32 connections, 1 thread 0-10% more, 3 threads a little fewer than 2.
            self.readerThreads = try ReaderThreads(path: path, count: ProcessInfo.processInfo.activeProcessorCount, configuration: configuration)
        } catch {
            throw SignetError(.storage, "Cannot open the store at \(path): \(error)")
        }
    }

    /// Closes the store's writer and pool connections now, once every write in flight has committed;
    /// the store is not to be used afterwards (writes fail). For a process that opened a store of its
    /// own for a bulk job and wants its memory back at once (a write's page cache is large): left to
    /// the last reference going away, the connections close when the group commit's finishing task
    /// lets go of them, a moment later.
    public func close() async throws {
        await writer.waitUntilIdle()
        do {
            try pool.close()
        } catch {
            throw SignetError(.storage, "Cannot close the store at \(path): \(error)")
        }
    }

    /// The writer connection's page cache, in KiB: an upper bound, filled only as pages are used.
    public static let writerCacheKiB = 128 * 1024

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE keys (
                    id TEXT PRIMARY KEY,
                    label TEXT NOT NULL,
                    algorithm TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    destroyed_at REAL,
                    team TEXT,
                    release TEXT
                );
                CREATE TABLE authorities (
                    name TEXT PRIMARY KEY,
                    profile TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    key_id TEXT NOT NULL REFERENCES keys(id),
                    parent TEXT REFERENCES authorities(name),
                    certificate_serial TEXT NOT NULL,
                    certificate_der BLOB NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    not_after REAL NOT NULL,
                    rotate_at REAL
                );
                CREATE TABLE certificates (
                    serial TEXT PRIMARY KEY,
                    issuer TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    team TEXT,
                    release TEXT,
                    requester TEXT NOT NULL,
                    key_id TEXT,
                    not_before REAL NOT NULL,
                    not_after REAL NOT NULL,
                    status TEXT NOT NULL,
                    revoked_at REAL,
                    revocation_reason INTEGER,
                    tbs BLOB NOT NULL,
                    der BLOB,
                    created_at REAL NOT NULL
                );
                CREATE INDEX certificates_by_team ON certificates(team, not_after);
                CREATE INDEX certificates_by_status ON certificates(status, not_after);
                CREATE INDEX certificates_by_issuer ON certificates(issuer, status);
                CREATE INDEX certificates_by_profile ON certificates(profile, not_after);
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    time_ms INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    role TEXT,
                    action TEXT NOT NULL,
                    target TEXT,
                    outcome TEXT NOT NULL,
                    details TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                """)
        }
        registerTokenMigration(&migrator)
        migrator.registerMigration("v3-revocation") { db in
            try db.execute(sql: """
                CREATE TABLE crl_numbers (issuer TEXT PRIMARY KEY, number INTEGER NOT NULL);
                CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO counters (name, value) VALUES ('revocations', 0);
                CREATE INDEX certificates_revoked ON certificates(issuer, not_after) WHERE status = 'revoked';
                """)
        }
        migrator.registerMigration("v4-rotation") { db in
            try db.execute(sql: """
                ALTER TABLE authorities ADD COLUMN retiring_since REAL;
                INSERT OR IGNORE INTO counters (name, value) VALUES ('authorities', 0);
                CREATE INDEX keys_by_release ON keys(team, release, state);
                CREATE INDEX certificates_by_key ON certificates(key_id);
                """)
        }
        migrator.registerMigration("v5-audit") { db in
            try db.execute(sql: """
                ALTER TABLE keys ADD COLUMN public_key BLOB;
                CREATE TABLE audit_checkpoints (
                    seq INTEGER PRIMARY KEY,
                    entry_hash TEXT NOT NULL,
                    time_ms INTEGER NOT NULL,
                    key_id TEXT NOT NULL,
                    signature BLOB NOT NULL
                );
                CREATE INDEX audit_by_action ON audit_log(action, seq);
                CREATE INDEX audit_by_actor ON audit_log(actor, seq);
                CREATE INDEX audit_by_time ON audit_log(time_ms);
                """)
        }
        migrator.registerMigration("v6-listing") { db in
            // Listing is ordered by (not_after, serial) so every filter walks an index in order and stops
            // at LIMIT, with keyset pagination on the same pair.
            try db.execute(sql: """
                CREATE INDEX certificates_by_expiry ON certificates(not_after, serial);
                DROP INDEX certificates_by_team;
                CREATE INDEX certificates_by_team ON certificates(team, not_after, serial);
                DROP INDEX certificates_by_profile;
                CREATE INDEX certificates_by_profile ON certificates(profile, not_after, serial);
                DROP INDEX certificates_by_status;
                CREATE INDEX certificates_by_status ON certificates(status, not_after, serial);
                """)
        }
        migrator.registerMigration("v7-listing-issuance-order") { db in
            // Certificates share notAfter to the second (X.509 times have no fraction), so with serial as
            // the tie-break every new entry of these four indexes landed on a random leaf among those of
            // its second: about ten leaves per index per group commit, each written to the WAL and again
            // at checkpoint. Every SQLite index ends with the rowid, which only grows: ties now go in
            // issuance order, new entries append to the last leaf, and each entry is 41 octets shorter.
            try db.execute(sql: """
                DROP INDEX certificates_by_expiry;
                CREATE INDEX certificates_by_expiry ON certificates(not_after);
                DROP INDEX certificates_by_team;
                CREATE INDEX certificates_by_team ON certificates(team, not_after);
                DROP INDEX certificates_by_profile;
                CREATE INDEX certificates_by_profile ON certificates(profile, not_after);
                DROP INDEX certificates_by_status;
                CREATE INDEX certificates_by_status ON certificates(status, not_after);
                """)
        }
        migrator.registerMigration("v8-tbs-while-pending") { db in
            // The TBS is kept while a certificate is pending (what the HSM may have signed if the process
            // stops); once the DER, which contains it, is recorded it is dropped. Keeping both made each row
            // grow by the whole DER on completion, splitting pages: the table held two rows per 4 KiB page.
            // SQLite cannot relax NOT NULL in place, so the table is rebuilt, rowids kept (they order ties).
            try db.execute(sql: """
                CREATE TABLE certificates_v8 (
                    serial TEXT PRIMARY KEY,
                    issuer TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    team TEXT,
                    release TEXT,
                    requester TEXT NOT NULL,
                    key_id TEXT,
                    not_before REAL NOT NULL,
                    not_after REAL NOT NULL,
                    status TEXT NOT NULL,
                    revoked_at REAL,
                    revocation_reason INTEGER,
                    tbs BLOB,
                    der BLOB,
                    created_at REAL NOT NULL
                );
                INSERT INTO certificates_v8 (rowid, serial, issuer, profile, subject, team, release, requester, key_id, not_before,
                                             not_after, status, revoked_at, revocation_reason, tbs, der, created_at)
                    SELECT rowid, serial, issuer, profile, subject, team, release, requester, key_id, not_before,
                           not_after, status, revoked_at, revocation_reason, CASE WHEN der IS NULL THEN tbs END, der, created_at
                    FROM certificates ORDER BY rowid;
                DROP TABLE certificates;
                ALTER TABLE certificates_v8 RENAME TO certificates;
                CREATE INDEX certificates_by_issuer ON certificates(issuer, status);
                CREATE INDEX certificates_revoked ON certificates(issuer, not_after) WHERE status = 'revoked';
                CREATE INDEX certificates_by_key ON certificates(key_id);
                CREATE INDEX certificates_by_expiry ON certificates(not_after);
                CREATE INDEX certificates_by_team ON certificates(team, not_after);
                CREATE INDEX certificates_by_profile ON certificates(profile, not_after);
                CREATE INDEX certificates_by_status ON certificates(status, not_after);
                """)
        }
        migrator.registerMigration("v9-recorded-crls") { db in
            // The newest signed CRL of each issuer, whichever process signed it: a server serves a CA's
            // CRL from here until it has signed one itself (a CA created by `signet rotate` in another
            // process is served from the moment it exists).
            try db.execute(sql: """
                CREATE TABLE crls (
                    issuer TEXT PRIMARY KEY,
                    number INTEGER NOT NULL,
                    this_update REAL NOT NULL,
                    next_update REAL NOT NULL,
                    entries INTEGER NOT NULL,
                    der BLOB NOT NULL
                );
                """)
        }
        migrator.registerMigration("v10-chained-checkpoints") { db in
            // Each checkpoint names the entry of the checkpoint signed before it, inside its signature, so
            // a row deleted from the middle breaks the next one's link. Older rows keep NULL (v1 form).
            try db.execute(sql: "ALTER TABLE audit_checkpoints ADD COLUMN previous_seq INTEGER")
        }
        migrator.registerMigration("v11-workload-identity") { db in
            // CI identity: the repository of a certificate issued to one (`signet list --repository`),
            // and the verified identity a Signet token exchanged for an ID token stands for (JSON).
            try db.execute(sql: """
                ALTER TABLE certificates ADD COLUMN repository TEXT;
                CREATE INDEX certificates_by_repository ON certificates(repository, not_after) WHERE repository IS NOT NULL;
                ALTER TABLE api_tokens ADD COLUMN identity TEXT;
                """)
        }
        migrator.registerMigration("v12-root-names-itself-as-issuer") { db in
            // A self-signed root's record had an empty issuer; it is its own issuer, as its certificate says.
            try db.execute(sql: """
                UPDATE certificates SET issuer = (SELECT a.name FROM authorities a WHERE a.certificate_serial = certificates.serial)
                WHERE issuer = '' AND EXISTS (SELECT 1 FROM authorities a WHERE a.certificate_serial = certificates.serial)
                """)
        }
        return migrator
    }

    // The closures over GRDB's `Database` are `package`, not `public`: the store's API is Core's repository
    // protocols (what the PostgreSQL store implements too); tests in this package may still reach the
    // database directly to set up or inspect a state.

    /// Runs `body` atomically inside an IMMEDIATE transaction (the write lock is taken up front, so two
    /// processes sharing the file serialise cleanly), shared with concurrent writes by group commit,
    /// and returns once that transaction has committed. Database errors become store errors.
    package func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await reportingStoreErrors(what) { try await writer.write(body) }
    }

    package func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await reportingStoreErrors(what) { try await pool.read(body) }
    }

    /// A read made of exactly one SELECT statement. SQLite runs a lone statement in its own implicit
    /// read transaction, so it sees one consistent snapshot without the BEGIN/COMMIT pair that
    /// ``read(_:_:)`` wraps around a closure; the hot paths (token lookup, listings, one certificate)
    /// save two statements per request. Never pass a closure that runs more than one statement.
    /// It runs on ``ReaderThreads``, in arrival order; keep it to what a request waits for (a page).
    package func readOneStatement<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await reportingStoreErrors(what) { try await readerThreads.read(body) }
    }

    /// A lookup of one row by an indexed key (one SELECT), run on the caller's thread when an inline
    /// connection is idle: it costs less than the thread hops an asynchronous read would take. Only for
    /// statements that finish in microseconds; listings go through ``readOneStatement(_:_:)``.
    package func readPoint<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await reportingStoreErrors(what) {
            if let value = try inlineReaders.read(body) { return value }
            return try await readerThreads.read(body)
        }
    }

    /// Passes Signet's own errors through and turns database errors into store errors naming `what`.
    private func reportingStoreErrors<T>(_ what: String, _ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as SignetError {
            throw error
        } catch {
            throw SignetError(.storage, "Store failure while \(what): \(error)")
        }
    }

    // MARK: Audit (inside the caller's transaction)

    static func appendAudit(_ event: AuditEvent, in db: Database) throws {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"))
        let sequence: Int64 = (last?["seq"] as Int64? ?? 0) + 1
        let previous: String = last?["hash"] ?? AuditChain.genesis
        let hash = AuditChain.hash(sequence: sequence, event: event, previousHash: previous)
        let details = CanonicalJSON.object(event.details)
        try db.cachedStatement(sql: """
            INSERT INTO audit_log (seq, time_ms, actor, role, action, target, outcome, details, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sequence, Int64((event.time.timeIntervalSince1970 * 1000).rounded()), event.actor, event.role,
                             event.action, event.target, event.outcome.rawValue, details, previous, hash])
    }

    public func append(_ event: AuditEvent) async throws {
        try await write("appending to the audit trail") { db in try Self.appendAudit(event, in: db) }
    }

    public func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await read("reading the audit trail") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit]).map(Self.auditEntry)
        }
    }

    /// An entry for display. The file may have been edited, so every column is read without GRDB's
    /// typed accessors, which trap on a value of the wrong type (verification reads ``auditRecords``).
    static func auditEntry(_ row: Row) -> AuditEntry {
        let details = (try? JSONDecoder().decode([String: String].self, from: Data((text(row, "details") ?? "").utf8))) ?? [:]
        let event = AuditEvent(
            time: Date(timeIntervalSince1970: Double(integer(row, "time_ms") ?? 0) / 1000), actor: text(row, "actor") ?? "", role: text(row, "role"),
            action: text(row, "action") ?? "", target: text(row, "target"), outcome: AuditEvent.Outcome(rawValue: text(row, "outcome") ?? "") ?? .failed,
            details: details)
        return AuditEntry(sequence: integer(row, "seq") ?? 0, event: event, previousHash: text(row, "prev_hash") ?? "", hash: text(row, "hash") ?? "")
    }

    // MARK: Keys

    public func recordPendingKey(_ key: KeyRecord, event: AuditEvent) async throws {
        try await write("recording key \(key.label)") { db in
            try Self.insertKey(key, in: db)
            try Self.appendAudit(event, in: db)
        }
    }

    public func recordPendingKey(_ key: KeyRecord, maxLivePerTeam: Int, event: AuditEvent) async throws {
        try await write("recording key \(key.label)") { db in
            let live = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keys WHERE team IS ? AND purpose = ? AND state IN ('pending', 'active')",
                                        arguments: [key.team, key.purpose.rawValue]) ?? 0
            guard live < maxLivePerTeam else {
                throw SignetError.refused("Team \(key.team ?? "(none)") already holds \(live) live \(key.purpose.rawValue) keys, the limit of its profile "
                    + "(key.max_live_per_team); revoke the certificates of releases that no longer need signing (their keys are then destroyed) or raise the limit")
            }
            try Self.insertKey(key, in: db)
            try Self.appendAudit(event, in: db)
        }
    }

    private static func insertKey(_ key: KeyRecord, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO keys (id, label, algorithm, purpose, state, created_at, destroyed_at, team, release)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [key.id, key.label, key.algorithm.rawValue, key.purpose.rawValue, key.state.rawValue,
                             key.createdAt.timeIntervalSince1970, key.destroyedAt?.timeIntervalSince1970, key.team, key.release])
    }

    public func keys() async throws -> [KeyRecord] {
        try await read("listing keys") { db in try Row.fetchAll(db, sql: "SELECT * FROM keys ORDER BY created_at, id").map { try Self.keyRecord($0) } }
    }

    public func key(id: String) async throws -> KeyRecord? {
        try await read("reading key \(id)") { db in try Row.fetchOne(db, sql: "SELECT * FROM keys WHERE id = ?", arguments: [id]).map { try Self.keyRecord($0) } }
    }

    public func setKeyState(id: String, to state: KeyState, at time: Date, event: AuditEvent) async throws {
        try await write("updating key \(id)") { db in
            let destroyed: Double? = (state == .destroyed || state == .abandoned) ? time.timeIntervalSince1970 : nil
            try db.execute(sql: "UPDATE keys SET state = ?, destroyed_at = COALESCE(?, destroyed_at) WHERE id = ?", arguments: [state.rawValue, destroyed, id])
            guard db.changesCount == 1 else { throw SignetError.notFound("No key with id \(id)") }
            try Self.appendAudit(event, in: db)
        }
    }

    static func keyRecord(_ row: Row) throws -> KeyRecord {
        KeyRecord(
            id: row["id"], label: row["label"], algorithm: try StoredValue.decode(KeyAlgorithm.self, row["algorithm"], table: "keys", column: "algorithm"),
            purpose: try StoredValue.decode(KeyPurpose.self, row["purpose"], table: "keys", column: "purpose"),
            state: try StoredValue.decode(KeyState.self, row["state"], table: "keys", column: "state"),
            createdAt: Date(timeIntervalSince1970: row["created_at"]), destroyedAt: (row["destroyed_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            team: row["team"], release: row["release"])
    }

    // MARK: Authorities

    public func authorities() async throws -> [AuthorityRecord] {
        try await read("listing authorities") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM authorities ORDER BY created_at, name").map { try Self.authorityRecord($0) }
        }
    }

    public func authority(named name: String) async throws -> AuthorityRecord? {
        try await read("reading authority \(name)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM authorities WHERE name = ?", arguments: [name]).map { try Self.authorityRecord($0) }
        }
    }

    static func authorityRecord(_ row: Row) throws -> AuthorityRecord {
        AuthorityRecord(
            name: row["name"], profile: row["profile"], kind: row["kind"], generation: row["generation"], keyID: row["key_id"],
            parent: row["parent"], certificateSerial: row["certificate_serial"], certificateDER: [UInt8](row["certificate_der"] as Data),
            state: try StoredValue.decode(AuthorityState.self, row["state"], table: "authorities", column: "state"), createdAt: Date(timeIntervalSince1970: row["created_at"]),
            notAfter: Date(timeIntervalSince1970: row["not_after"]), rotateAt: (row["rotate_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
            .with(retiringSince: (row["retiring_since"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    // MARK: Certificates

    public func reserve(_ pending: PendingCertificate) async throws {
        let r = pending.record
        try await write("reserving serial \(r.serial)") { db in
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM certificates WHERE serial = ?"), arguments: [r.serial]) == true {
                throw SignetError.conflict("Serial \(r.serial) is already recorded")
            }
            try db.cachedStatement(sql: """
                INSERT INTO certificates (serial, issuer, profile, subject, team, release, requester, key_id, not_before, not_after,
                                          status, tbs, created_at, repository)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
                """).execute(arguments: [r.serial, r.issuer, r.profile, r.subject, r.team, r.release, r.requester, r.keyID,
                                 r.notBefore.timeIntervalSince1970, r.notAfter.timeIntervalSince1970, Data(pending.tbs), r.createdAt.timeIntervalSince1970,
                                 r.repository])
        }
    }

    public func complete(serial: String, der: [UInt8], event: AuditEvent) async throws -> CertificateRecord {
        try await write("recording certificate \(serial)") { db in
            let record = try Self.completeCertificate(serial: serial, der: der, in: db)
            try Self.appendAudit(event, in: db)
            return record
        }
    }

    /// Pending → valid with its DER, which replaces the TBS kept while pending (the DER contains it);
    /// returns the completed record from the same statement (RETURNING), so recording a certificate
    /// reads nothing back.
    @discardableResult
    static func completeCertificate(serial: String, der: [UInt8], in db: Database) throws -> CertificateRecord {
        let statement = try db.cachedStatement(sql: "UPDATE certificates SET der = ?, tbs = NULL, status = 'valid' WHERE serial = ? AND status = 'pending' RETURNING \(listColumns)")
        guard let row = try Row.fetchOne(statement, arguments: [Data(der), serial]) else {
            throw SignetError.conflict("Certificate \(serial) is not pending; it cannot be completed twice")
        }
        var record = try certificateRecord(row)
        record.der = der
        return record
    }

    public func completeAuthority(_ authority: AuthorityRecord, der: [UInt8], superseding: String?, firstCRL: PublishedCRL?, events: [AuditEvent]) async throws {
        try await write("recording authority \(authority.name)") { db in
            if let firstCRL {
                // A new issuer has no CRL number yet: its first CRL takes the number it carries (1).
                try db.execute(sql: "INSERT INTO crl_numbers (issuer, number) VALUES (?, ?)", arguments: [firstCRL.issuer, firstCRL.number])
                try Self.upsertCRL(firstCRL, in: db)
            }
            if let superseding {
                try Self.supersede(superseding, at: authority.createdAt, in: db)
            }
            try Self.completeCertificate(serial: authority.certificateSerial, der: der, in: db)
            try db.execute(sql: "UPDATE keys SET state = 'active' WHERE id = ? AND state = 'pending'", arguments: [authority.keyID])
            guard db.changesCount == 1 else { throw SignetError.conflict("Key \(authority.keyID) is not pending") }
            try db.execute(sql: """
                INSERT INTO authorities (name, profile, kind, generation, key_id, parent, certificate_serial, certificate_der, state,
                                         created_at, not_after, rotate_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [authority.name, authority.profile, authority.kind, authority.generation, authority.keyID, authority.parent,
                                 authority.certificateSerial, Data(authority.certificateDER), authority.state.rawValue,
                                 authority.createdAt.timeIntervalSince1970, authority.notAfter.timeIntervalSince1970,
                                 authority.rotateAt?.timeIntervalSince1970])
            try Self.bumpAuthorityRevision(in: db)
            for event in events { try Self.appendAudit(event, in: db) }
        }
    }

    public func completeKeyCertificate(serial: String, der: [UInt8], keyID: String, superseding: [String], events: [AuditEvent]) async throws -> CertificateRecord {
        try await write("recording the certificate of key \(keyID)") { db in
            let record = try Self.completeCertificate(serial: serial, der: der, in: db)
            try db.execute(sql: "UPDATE keys SET state = 'active' WHERE id = ? AND state = 'pending'", arguments: [keyID])
            guard db.changesCount == 1 else { throw SignetError.conflict("Key \(keyID) is not pending") }
            for old in superseding {
                try db.execute(sql: "UPDATE keys SET state = 'retiring' WHERE id = ? AND state = 'active'", arguments: [old])
            }
            for event in events { try Self.appendAudit(event, in: db) }
            return record
        }
    }

    public func certificate(serial: String) async throws -> CertificateRecord? {
        try await readPoint("reading certificate \(serial)") { db in try Self.fetchCertificate(serial, in: db) }
    }

    static func fetchCertificate(_ serial: String, in db: Database) throws -> CertificateRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(listColumns), der FROM certificates WHERE serial = ?"), arguments: [serial]).map { try certificateRecord($0) }
    }

    /// Listings never return certificate bodies; `certificate(serial:)` does (as a fifteenth column).
    /// ``certificateRecord(_:)`` reads the columns by position, in this order.
    static let listColumns = "serial, issuer, profile, subject, team, release, requester, key_id, not_before, not_after, status, revoked_at, revocation_reason, created_at, repository"

    static func whereClause(_ query: CertificateQuery) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        // With a team or profile filter, that index (…, not_after, rowid) is the selective one; the
        // unary + keeps SQLite's planner from preferring the three-valued status index instead.
        let status = (query.team != nil || query.profile != nil || query.repository != nil) ? "+status" : "status"
        if let wanted = query.status { conditions.append("\(status) = ?"); _ = arguments.append(contentsOf: [wanted.rawValue]) }
        if let expiredAt = query.expiredAt { conditions.append("\(status) = 'valid' AND not_after < ?"); _ = arguments.append(contentsOf: [expiredAt.timeIntervalSince1970]) }
        if let team = query.team { conditions.append("team = ?"); _ = arguments.append(contentsOf: [team]) }
        if let profile = query.profile { conditions.append("profile = ?"); _ = arguments.append(contentsOf: [profile]) }
        if let issuer = query.issuer { conditions.append("issuer = ?"); _ = arguments.append(contentsOf: [issuer]) }
        if let release = query.release { conditions.append("release = ?"); _ = arguments.append(contentsOf: [release]) }
        if let keyID = query.keyID { conditions.append("key_id = ?"); _ = arguments.append(contentsOf: [keyID]) }
        if let repository = query.repository { conditions.append("repository = ?"); _ = arguments.append(contentsOf: [repository]) }
        if let before = query.expiringBefore {
            conditions.append("\(status) = 'valid' AND not_after > ? AND not_after <= ?")
            _ = arguments.append(contentsOf: [(query.now ?? Date()).timeIntervalSince1970, before.timeIntervalSince1970])
        }
        if let after = query.after, let cursor = CertificateQuery.Cursor(after) {
            // The cursor names its certificate by serial; its rowid is its place among equal notAfters.
            conditions.append("(not_after, rowid) > (?, (SELECT rowid FROM certificates WHERE serial = ?))")
            _ = arguments.append(contentsOf: [cursor.notAfter, cursor.serial])
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    /// The rows of `query` in listing order (notAfter, then issuance), at most `limit`: a cached statement
    /// (prepared once per filter shape) read through a cursor, so rows are decoded straight from it.
    static func listingRows(_ query: CertificateQuery, limit: Int, in db: Database) throws -> (statement: Statement, rows: RowCursor) {
        let (clause, arguments) = whereClause(query)
        var all = arguments
        _ = all.append(contentsOf: [limit])
        let statement = try db.cachedStatement(sql: "SELECT \(listColumns) FROM certificates \(clause) ORDER BY not_after, rowid LIMIT ?")
        return (statement, try Row.fetchCursor(statement, arguments: all))
    }

    public func certificates(_ query: CertificateQuery) async throws -> [CertificateRecord] {
        try await readOneStatement("listing certificates") { db in
            let rows = try Self.listingRows(query, limit: max(1, min(query.limit, 10_000)), in: db).rows
            var records: [CertificateRecord] = []
            records.reserveCapacity(min(query.limit, 1_000))
            while let row = try rows.next() { records.append(try Self.certificateRecord(row)) }
            return records
        }
    }

    public func certificateSummaries(_ query: CertificateQuery, now: Date) async throws -> CertificateSummaryPage {
        try await readOneStatement("listing certificates") { db in
            let pageSize = max(1, min(query.limit, 10_000))
            // One row more than the page: its presence says there is a next page.
            let (statement, rows) = try Self.listingRows(query, limit: pageSize + 1, in: db)
            var json: [UInt8] = []
            json.reserveCapacity(min(pageSize, 1_000) * 330)
            var count = 0
            var last: CertificateQuery.Cursor?
            var more = false
            let sqlite = statement.sqliteStatement
            while try rows.next() != nil {
                if count == pageSize { more = true; break }
                if count > 0 { json.append(UInt8(ascii: ",")) }
                let row = Self.rowView(sqlite)
                CertificateSummary.appendJSON(row, at: now, to: &json)
                count += 1
                if count == pageSize { last = CertificateQuery.Cursor(notAfter: row.notAfter, serial: String(decoding: row.serial, as: UTF8.self)) }
            }
            return CertificateSummaryPage(json: json, count: count, next: more ? last : nil)
        }
    }

    /// The current row of a ``listColumns`` statement, its texts pointing into SQLite's buffers: valid
    /// until the statement steps again.
    static func rowView(_ statement: SQLiteStatement) -> CertificateRowView {
        func text(_ column: Int32) -> UnsafeRawBufferPointer {
            // sqlite3_column_text before sqlite3_column_bytes, so the length is that of the UTF-8 form.
            guard let bytes = sqlite3_column_text(statement, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column)))
        }
        func optionalText(_ column: Int32) -> UnsafeRawBufferPointer? {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : text(column)
        }
        func optionalDouble(_ column: Int32) -> Double? {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_double(statement, column)
        }
        return CertificateRowView(
            serial: text(0), issuer: text(1), profile: text(2), subject: text(3), team: optionalText(4), release: optionalText(5),
            requester: text(6), keyID: optionalText(7), notBefore: sqlite3_column_double(statement, 8), notAfter: sqlite3_column_double(statement, 9),
            status: text(10), revokedAt: optionalDouble(11),
            revocationReason: sqlite3_column_type(statement, 12) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(statement, 12)),
            createdAt: sqlite3_column_double(statement, 13), repository: optionalText(14))
    }

    public func countCertificates(_ query: CertificateQuery) async throws -> Int {
        try await read("counting certificates") { db in
            let (clause, arguments) = Self.whereClause(query)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM certificates \(clause)", arguments: arguments) ?? 0
        }
    }

    /// Decodes a row of ``listColumns`` (plus `der` when selected) by position: looking columns up by
    /// name lowercases every name on every access, which was a fifth of a listing's CPU.
    static func certificateRecord(_ row: Row) throws -> CertificateRecord {
        CertificateRecord(
            serial: row[0], issuer: row[1], profile: row[2], subject: row[3], team: row[4],
            release: row[5], requester: row[6], keyID: row[7],
            notBefore: Date(timeIntervalSince1970: row[8]), notAfter: Date(timeIntervalSince1970: row[9]),
            status: try StoredValue.decode(CertificateStatus.self, row[10], table: "certificates", column: "status"),
            revokedAt: (row[11] as Double?).map(Date.init(timeIntervalSince1970:)),
            revocationReason: try StoredValue.decodeOptional(RevocationReason.self, row[12], table: "certificates", column: "revocation_reason"),
            der: row.count > 15 ? (row[15] as Data?).map { [UInt8]($0) } : nil, createdAt: Date(timeIntervalSince1970: row[13]), repository: row[14])
    }

    public func revoke(serial: String, reason: RevocationReason, at time: Date, event: AuditEvent) async throws -> CertificateRecord {
        try await write("revoking \(serial)") { db in
            guard let current = try Self.fetchCertificate(serial, in: db) else {
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
            try db.execute(sql: "UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE serial = ?",
                           arguments: [time.timeIntervalSince1970, reason.rawValue, serial])
            try db.execute(sql: "UPDATE counters SET value = value + 1 WHERE name = 'revocations'")
            try Self.appendAudit(event, in: db)
            return try Self.fetchCertificate(serial, in: db)!
        }
    }
}
