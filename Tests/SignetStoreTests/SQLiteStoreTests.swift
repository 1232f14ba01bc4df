import Foundation
import GRDB
import SignetCore
@testable import SignetStore
import SignetTestSupport
import Testing

/// What only the SQLite store has (its pragmas, migrations from older files, reader threads), on a real
/// database file; the behaviour both stores share is in ``StoreContractTests``.
@Suite struct SQLiteStoreTests {
    static func store() throws -> SQLiteStore {
        try SQLiteStore(path: TestEnvironment.temporaryDirectory("store") + "/signet.db")
    }

    static func event(_ action: String, _ target: String? = nil) -> AuditEvent {
        AuditEvent(time: Date(), actor: "tester", role: "admin", action: action, target: target)
    }

    static func pending(_ serial: String, team: String = "payments", notAfter: Date = Date() + 86_400) -> PendingCertificate {
        PendingCertificate(record: CertificateRecord(
            serial: serial, issuer: "issuing-ca-1", profile: "prerelease-codesign", subject: "CN=x", team: team, release: nil, requester: "alice",
            keyID: nil, notBefore: Date() - 60, notAfter: notAfter, status: .pending, der: nil, createdAt: Date()), tbs: [0x30, 0x00])
    }

    @Test("the writer commits with synchronous=FULL")
    func durability() async throws {
        let store = try Self.store()
        let mode = try await store.write("pragma") { db in try Int.fetchOne(db, sql: "PRAGMA synchronous")! }
        #expect(mode == 2)  // FULL: the WAL is fsynced at every commit
    }

    @Test("the writer keeps savepoint sub-journals in memory and a large page cache; a failed write inside a group still rolls back alone")
    func savepointJournalInMemory() async throws {
        let store = try Self.store()
        let tempStore = try await store.write("pragma") { db in try Int.fetchOne(db, sql: "PRAGMA temp_store")! }
        #expect(tempStore == 2)  // MEMORY
        let cacheSize = try await store.write("pragma") { db in try Int.fetchOne(db, sql: "PRAGMA cache_size")! }
        #expect(cacheSize == -SQLiteStore.writerCacheKiB)  // negative: KiB, not pages
        // Concurrent writes share transactions; the duplicate reservations fail inside their savepoints
        // and leave every other write (and nothing of their own) behind.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<40 {
                group.addTask {
                    do {
                        try await store.reserve(Self.pending(String(format: "%02x", i % 20)))
                        return true
                    } catch let error as SignetError where error.code == .conflict {
                        return false
                    }
                }
            }
            var reserved = 0
            for try await ok in group where ok { reserved += 1 }
            #expect(reserved == 20)
        }
        #expect(try await store.countCertificates(.init()) == 20)
    }

    @Test("completing a certificate drops its TBS (the DER holds it); the v8 migration does the same to existing rows and keeps their order")
    func tbsKeptWhilePending() async throws {
        // A store as v7 left it: a completed row still carrying its TBS, then a pending one, then another
        // completed one with the same notAfter (their rowids order them).
        let path = TestEnvironment.temporaryDirectory("store") + "/signet.db"
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v7-listing-issuance-order")
        try await queue.write { db in
            for (serial, status, der) in [("7f01", "valid", Data([1, 2])), ("0102", "pending", nil), ("0a03", "valid", Data([3]))] as [(String, String, Data?)] {
                try db.execute(sql: """
                    INSERT INTO certificates (serial, issuer, profile, subject, requester, not_before, not_after, status, tbs, der, created_at)
                    VALUES (?, 'issuing-ca-1', 'prerelease-codesign', 'CN=x', 'alice', 0, 100, ?, ?, ?, 0)
                    """, arguments: [serial, status, Data([0x30, 0x00]), der])
            }
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        let rows = try await store.read("rows") { db in
            try Row.fetchAll(db, sql: "SELECT serial, tbs, der FROM certificates ORDER BY rowid").map { row -> (String, Data?, Data?) in (row[0], row[1], row[2]) }
        }
        #expect(rows.map(\.0) == ["7f01", "0102", "0a03"])
        #expect(rows.map { $0.1 == nil } == [true, false, true])
        #expect(rows.map(\.2) == [Data([1, 2]), nil, Data([3])])
        #expect(try await store.certificates(.init()).map(\.serial) == ["7f01", "0102", "0a03"])
        let indexes = try await store.read("indexes") { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'certificates' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        #expect(indexes == ["certificates_by_expiry", "certificates_by_issuer", "certificates_by_key", "certificates_by_profile",
                            "certificates_by_repository", "certificates_by_status", "certificates_by_team", "certificates_revoked"])
        // Completing the pending one now drops its TBS too.
        _ = try await store.complete(serial: "0102", der: [9], event: Self.event("certificate.issue", "0102"))
        let tbs = try await store.read("tbs") { db in try Data.fetchOne(db, sql: "SELECT tbs FROM certificates WHERE serial = '0102'") }
        #expect(tbs == nil)
    }

    @Test("inline readers: a lookup while every connection is busy gets nil (the store then uses the pool), and connections come back after use")
    func inlineReadersWhenBusy() async throws {
        let path = TestEnvironment.temporaryDirectory("store") + "/signet.db"
        let store = try SQLiteStore(path: path)
        try await store.reserve(Self.pending("01aa"))
        let readers = try InlineReaders(path: path, count: 2, configuration: Configuration())
        let count = "SELECT COUNT(*) FROM certificates"
        // Two nested reads hold both connections; the third finds none idle.
        let nested = try readers.read { _ in try readers.read { _ in try readers.read { db in try Int.fetchOne(db, sql: count) } } }
        #expect(nested == .some(.some(nil)))
        // Both are idle again, and each sees the committed row.
        let again = try readers.read { outer in try (Int.fetchOne(outer, sql: count), readers.read { inner in try Int.fetchOne(inner, sql: count) }) }
        #expect(again?.0 == 1 && again?.1 == .some(1))
    }

    @Test("listings from 64 concurrent tasks all answer from the reader threads; a failing query is a store error naming what was read")
    func concurrentListings() async throws {
        let store = try Self.store()
        for i in 1...12 { try await store.reserve(Self.pending(String(format: "%02x", i), team: i % 3 == 0 ? "web" : "payments")) }
        let counts = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for i in 0..<64 {
                let team = i % 2 == 0 ? "payments" : "web"
                group.addTask { (team, try await store.certificateSummaries(.init(team: team, limit: 100), now: Date()).count) }
            }
            return try await group.reduce(into: [(String, Int)]()) { $0.append($1) }
        }
        #expect(counts.count == 64)
        #expect(counts.allSatisfy { $0.1 == ($0.0 == "web" ? 4 : 8) })
        do {
            _ = try await store.readOneStatement("reading a table that is not there") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM no_such_table") }
            Issue.record("a query of a missing table answered")
        } catch let error as SignetError {
            #expect(error.code == .storage && error.reason.contains("reading a table that is not there"))
        }
        // The threads are still serving after a job failed.
        #expect(try await store.certificateSummaries(.init(team: "web", limit: 100), now: Date()).count == 4)
    }

    @Test("reader threads end, closing their connections, once their owner is released")
    func readerThreadsEnd() async throws {
        let path = TestEnvironment.temporaryDirectory("store") + "/signet.db"
        let store = try SQLiteStore(path: path)
        try await store.reserve(Self.pending("01aa"))
        var readers: ReaderThreads? = try ReaderThreads(path: path, count: 2, configuration: Configuration())
        let queue = try #require(readers?.queue)
        #expect(try await readers?.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM certificates") } == 1)
        #expect(!queue.threadsEnded(by: Date()))
        readers = nil
        #expect(queue.threadsEnded(by: Date() + 30))
    }
}
