import Foundation
import SignetCore
import SignetPostgres
import SignetStore

/// `signet store migrate --to postgres://…`: moves a home's records from its SQLite file into an
/// empty PostgreSQL database, so the home (and any number of nodes) can run on PostgreSQL.
///
/// The copy is verbatim (every column as stored, the audit trail's hashes included), in one
/// PostgreSQL transaction, and refused when the database already holds records. The source's audit
/// chain is verified before anything is written, and the copy's after it committed, so the database
/// holds a chain that verifies from its first entry to its last, with the same checkpoints (the
/// token's anchor still matches them).
public enum StoreMigration {
    /// Rows copied, by table.
    public struct Summary: Sendable, Encodable {
        public var rows: [String: Int]
        public var auditEntries: Int
        public var target: String

        enum CodingKeys: String, CodingKey {
            case rows
            case auditEntries = "audit_entries"
            case target
        }
    }

    public static func copy(_ home: SignetHome, to url: PostgresStoreURL, password: String?, batchSize: Int = 2000) async throws -> Summary {
        guard !ServerPresence.isServerRunning(home) else {
            throw SignetError.conflict("A signet serve is running on \(home.directory); stop it first, so that nothing is written while the records are copied")
        }
        let path = home.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw SignetError.notFound("No store at \(path) to copy; run `signet init` first, or point the home at PostgreSQL directly")
        }
        let source = try SQLiteStore(path: path)
        let sourceEntries = try await verifyChain(source, named: path)
        let target = try await PostgresStore.open(url, password: password)
        try await target.importCopy { insert in
            for table in StoreCopy.tables {
                var after: Int64 = 0
                while true {
                    let (rows, last) = try await source.copyRows(of: table, after: after, limit: batchSize)
                    guard let last else { break }
                    try await insert(table, rows)
                    after = last
                }
            }
        }
        var rows: [String: Int] = [:]
        for table in StoreCopy.tables {
            let copied = try await target.rowCount(of: table)
            let expected = try await source.rowCount(of: table)
            // counters may hold rows the new schema starts with that the source never had.
            guard copied == expected || (table.name == "counters" && copied >= expected) else {
                throw SignetError.internalError("The copy of \(table.name) holds \(copied) rows, the source \(expected)")
            }
            rows[table.name] = expected
        }
        let copiedEntries = try await verifyChain(target, named: url.description)
        guard copiedEntries == sourceEntries else {
            throw SignetError.internalError("The copied audit trail has \(copiedEntries) entries, the source \(sourceEntries)")
        }
        return Summary(rows: rows, auditEntries: copiedEntries, target: url.description)
    }

    /// Walks the whole audit chain page by page; the number of entries, or an error at the first break.
    static func verifyChain(_ store: any AuditCheckpointRepository, named name: String) async throws -> Int {
        var walker = AuditChain.Walker()
        while true {
            let page = try await store.auditRecords(after: walker.lastSequence, limit: 5000)
            if page.isEmpty { return walker.count }
            for record in page {
                if let reason = walker.check(record) {
                    throw SignetError(.storage, "The audit trail in \(name) breaks at entry \(record.sequence): \(reason); run `signet audit verify` and resolve it before copying")
                }
            }
        }
    }
}
