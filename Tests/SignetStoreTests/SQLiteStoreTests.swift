import Foundation
import GRDB
import SignetCore
@testable import SignetStore
import SignetTestSupport
import Testing

/// The SQLite store on a real database file.
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

    @Test("reserve, complete and revoke move a certificate through its states exactly once")
    func lifecycle() async throws {
        let store = try Self.store()
        try await store.reserve(Self.pending("01aa"))
        await #expect { try await store.reserve(Self.pending("01aa")) } throws: { ($0 as? SignetError)?.code == .conflict }
        await #expect { try await store.revoke(serial: "01aa", reason: .keyCompromise, at: Date(), event: Self.event("certificate.revoke")) } throws: {
            ($0 as? SignetError)?.code == .conflict
        }
        let completed = try await store.complete(serial: "01aa", der: [1, 2, 3], event: Self.event("certificate.issue", "01aa"))
        #expect(completed.status == .valid && completed.der == [1, 2, 3])
        // The record returned by the UPDATE … RETURNING is the one a later read finds.
        #expect(try await store.certificate(serial: "01aa") == completed)
        await #expect { try await store.complete(serial: "01aa", der: [9], event: Self.event("certificate.issue")) } throws: { ($0 as? SignetError)?.code == .conflict }
        let revoked = try await store.revoke(serial: "01aa", reason: .keyCompromise, at: Date(), event: Self.event("certificate.revoke", "01aa"))
        #expect(revoked.status == .revoked && revoked.revocationReason == .keyCompromise)
        await #expect { try await store.revoke(serial: "01aa", reason: .superseded, at: Date(), event: Self.event("certificate.revoke")) } throws: { ($0 as? SignetError)?.code == .conflict }
        await #expect { try await store.revoke(serial: "02bb", reason: .superseded, at: Date(), event: Self.event("certificate.revoke")) } throws: { ($0 as? SignetError)?.code == .notFound }
        // Two successful state changes, two audit entries: failed attempts left no trace.
        #expect(try await store.auditEntries(after: 0, limit: 100).map(\.event.action) == ["certificate.issue", "certificate.revoke"])
    }

    @Test("a status, reason or role the store holds that Signet does not know is a store error naming table and column, never a default")
    func unknownStoredValues() async throws {
        let store = try Self.store()
        try await store.reserve(Self.pending("01aa"))
        _ = try await store.complete(serial: "01aa", der: [1, 2, 3], event: Self.event("certificate.issue", "01aa"))
        #expect(try await store.certificate(serial: "01aa")?.status == .valid)
        for (sql, column) in [("UPDATE certificates SET status = 'frozen' WHERE serial = '01aa'", "certificates.status"),
                              ("UPDATE certificates SET status = 'revoked', revocation_reason = 99, revoked_at = 1 WHERE serial = '01aa'", "certificates.revocation_reason")] {
            try await store.write("edit") { db in try db.execute(sql: sql) }
            await #expect { _ = try await store.certificate(serial: "01aa") } throws: {
                ($0 as? SignetError)?.code == .storage && "\($0)".contains(column)
            }
        }
        try await store.createToken(APITokenRecord(id: "t1", name: "bob", role: .auditor, team: nil, hash: "h1", createdAt: Date(), expiresAt: nil, revokedAt: nil,
                                                   createdBy: "tester"), event: Self.event("token.create"))
        try await store.write("edit") { db in try db.execute(sql: "UPDATE api_tokens SET role = 'superuser'") }
        await #expect { _ = try await store.tokens() } throws: { ($0 as? SignetError)?.code == .storage && "\($0)".contains("api_tokens.role") }
    }

    @Test("queries filter by team, status and expiry window, with keyset pagination")
    func queries() async throws {
        let store = try Self.store()
        let now = Date()
        for (i, (team, hours)) in [("payments", 2.0), ("payments", 30), ("search", 2), ("payments", -1)].enumerated() {
            let serial = String(format: "%02x", i + 1)
            try await store.reserve(Self.pending(serial, team: team, notAfter: now + hours * 3600))
            _ = try await store.complete(serial: serial, der: [0], event: Self.event("certificate.issue", serial))
        }
        // Listings are ordered by notAfter, then issuance: 04 (expired), 01 and 03 (2 h), 02 (30 h).
        #expect(try await store.certificates(.init(team: "payments")).map(\.serial) == ["04", "01", "02"])
        #expect(try await store.certificates(.init(team: "payments", expiringBefore: now + 48 * 3600, now: now)).map(\.serial) == ["01", "02"])
        #expect(try await store.certificates(.init(expiringBefore: now + 3 * 3600, now: now)).map(\.serial) == ["01", "03"])
        #expect(try await store.certificates(.init(expiredAt: now)).map(\.serial) == ["04"])
        let first = try await store.certificates(.init(limit: 2))
        #expect(first.map(\.serial) == ["04", "01"])
        let cursor = CertificateQuery.Cursor(after: first[1]).string
        #expect(try await store.certificates(.init(after: cursor, limit: 2)).map(\.serial) == ["03", "02"])
        #expect(try await store.countCertificates(.init(team: "search")) == 1)
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

    @Test("certificates with the same notAfter list in issuance order, and every page size walks them exactly once")
    func tiesListInIssuanceOrder() async throws {
        let store = try Self.store()
        // notAfter has whole seconds, so certificates issued in the same second tie. Serials are random:
        // here they are reserved in descending order, the opposite of their sort order.
        let notAfter = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 7200).rounded(.down))
        let serials = (0..<12).map { String(format: "%02x", 0xf0 - $0 * 16) }
        for serial in serials {
            try await store.reserve(Self.pending(serial, notAfter: notAfter))
            _ = try await store.complete(serial: serial, der: [0], event: Self.event("certificate.issue", serial))
        }
        try await store.reserve(Self.pending("01", notAfter: notAfter - 1))  // one second earlier: first
        #expect(try await store.certificates(.init()).map(\.serial) == ["01"] + serials)
        for pageSize in 1...13 {
            var walked: [String] = []
            var cursor: String?
            while true {
                let page = try await store.certificates(.init(after: cursor, limit: pageSize))
                walked += page.map(\.serial)
                guard page.count == pageSize, let last = page.last else { break }
                cursor = CertificateQuery.Cursor(after: last).string
            }
            #expect(walked == ["01"] + serials, "page size \(pageSize)")
        }
        // The summary pages' `next` cursor continues at the same place.
        let first = try await store.certificateSummaries(.init(limit: 5), now: Date())
        let next = try #require(first.next)
        #expect(try await store.certificates(.init(after: next.string, limit: 100)).map(\.serial) == Array(serials.dropFirst(4)))
    }

    @Test("a page of summaries written from the rows is byte for byte the records' summaries, every page size, cursor included")
    func summaryPages() async throws {
        let store = try Self.store()
        let now = Date()
        // Every optional present and absent, all three stored states plus expired, text that needs escaping.
        // notAfter is half an hour off the hour so no row expires exactly at `now` (a tie rounds either way).
        let subjects = ["CN=plain", "CN=\"quoted\" \\ back", "CN=ünïcödé ✓ 🔏", "CN=line\nbreak\u{01}", "CN=x"]
        for i in 0..<11 {
            let serial = String(format: "%02x", i + 1)
            var pending = Self.pending(serial, team: i % 3 == 0 ? "payments" : "search", notAfter: now + Double(i % 4 - 1) * 3600 + 1800)
            pending.record.subject = subjects[i % subjects.count]
            pending.record.team = i % 5 == 4 ? nil : pending.record.team
            pending.record.release = i % 2 == 0 ? "v1.\(i)" : nil
            pending.record.keyID = i % 3 == 1 ? "key-\(i)" : nil
            try await store.reserve(pending)
            guard i % 4 != 3 else { continue }  // stays pending
            _ = try await store.complete(serial: serial, der: [0], event: Self.event("certificate.issue", serial))
            if i % 4 == 2 { _ = try await store.revoke(serial: serial, reason: .keyCompromise, at: now, event: Self.event("certificate.revoke", serial)) }
        }
        let records = try await store.certificates(.init(limit: 100))
        #expect(records.count == 11 && Set(records.map { $0.summary(at: now).status }) == ["valid", "expired", "revoked", "pending"])
        for pageSize in [1, 2, 3, 11, 100] {
            var pages: [CertificateSummaryPage] = []
            var query = CertificateQuery(limit: pageSize)
            repeat {
                pages.append(try await store.certificateSummaries(query, now: now))
                query.after = pages.last!.next?.string
            } while query.after != nil && pages.count < 20
            #expect(pages.map(\.count) == stride(from: 0, to: 11, by: pageSize).map { min(pageSize, 11 - $0) })
            let joined = pages.map { String(decoding: $0.json, as: UTF8.self) }.filter { !$0.isEmpty }.joined(separator: ",")
            #expect(joined == records.map { $0.summary(at: now).json }.joined(separator: ","))
            // The cursor of a full page names its last certificate, as the record-based listing's does.
            for (index, page) in pages.dropLast().enumerated() {
                #expect(page.next == CertificateQuery.Cursor(after: records[(index + 1) * pageSize - 1]))
            }
            #expect(pages.last?.next == nil)
        }
        let payments = try await store.certificateSummaries(.init(team: "payments", limit: 100), now: now)
        #expect(payments.count == (try await store.certificates(.init(team: "payments"))).count)
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

    @Test("point lookups from 64 concurrent tasks all answer")
    func concurrentPointLookups() async throws {
        let store = try Self.store()
        for i in 1...8 { try await store.reserve(Self.pending(String(format: "%02x", i))) }
        let found = try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<64 { group.addTask { try await store.certificate(serial: String(format: "%02x", i % 8 + 1))?.serial } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(found.count == 64 && Set(found) == Set((1...8).map { String(format: "%02x", $0) }))
        #expect(try await store.certificate(serial: "ff") == nil)
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

    @Test("closing a store lets the writes in flight commit, then a write fails with a store error; a reopened store has them")
    func closeAfterWrites() async throws {
        let path = TestEnvironment.temporaryDirectory("store") + "/signet.db"
        let store = try SQLiteStore(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 1...20 { group.addTask { try await store.reserve(Self.pending(String(format: "%02x", i))) } }
            try await group.waitForAll()
        }
        try await store.close()
        do {
            try await store.reserve(Self.pending("ff"))
            Issue.record("a closed store accepted a write")
        } catch let error as SignetError {
            #expect(error.code == .storage)
        }
        #expect(try await SQLiteStore(path: path).certificates(.init(limit: 100)).count == 20)
    }

    @Test("the audit trail is chained in the database; a direct edit, deletion or reorder is detected")
    func auditTampering() async throws {
        let store = try Self.store()
        for i in 1...6 { try await store.append(Self.event("test.event", "t\(i)")) }
        let intact = try await store.auditEntries(after: 0, limit: 100)
        #expect(AuditChain.firstBreak(in: intact) == nil)

        try await store.write("tamper") { db in try db.execute(sql: "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3") }
        #expect(AuditChain.firstBreak(in: try await store.auditEntries(after: 0, limit: 100))?.0.sequence == 3)

        let store2 = try Self.store()
        for i in 1...6 { try await store2.append(Self.event("test.event", "t\(i)")) }
        try await store2.write("delete") { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq = 4") }
        #expect(AuditChain.firstBreak(in: try await store2.auditEntries(after: 0, limit: 100))?.0.sequence == 5)
    }

    @Test("a pending key becomes active only together with its authority and its first CRL, in one transaction")
    func authorityCommit() async throws {
        let store = try Self.store()
        let key = KeyRecord(id: "aa", label: "signet/root-ca-1", algorithm: .ecP384, purpose: .rootCA, state: .pending, createdAt: Date())
        try await store.recordPendingKey(key, event: Self.event("key.generate", "aa"))
        try await store.reserve(Self.pending("0101"))
        let authority = AuthorityRecord(name: "root-ca-1", profile: "root-ca", kind: "root-ca", generation: 1, keyID: "aa", parent: nil,
                                        certificateSerial: "0101", certificateDER: [1], state: .active, createdAt: Date(), notAfter: Date() + 1000, rotateAt: nil)
        // Wrong serial: nothing of the three changes must stick.
        var broken = authority
        broken.certificateSerial = "ffff"
        let firstCRL = PublishedCRL(issuer: "root-ca-1", number: 1, thisUpdate: Date(timeIntervalSince1970: 1_000),
                                    nextUpdate: Date(timeIntervalSince1970: 87_400), entries: 0, der: [0x30, 0x00])
        await #expect(throws: SignetError.self) { try await store.completeAuthority(broken, der: [1], superseding: nil, firstCRL: firstCRL, events: []) }
        #expect(try await store.key(id: "aa")?.state == .pending)
        #expect(try await store.authorities().isEmpty)
        #expect(try await store.latestCRL(issuer: "root-ca-1") == nil)

        try await store.completeAuthority(authority, der: [1], superseding: nil, firstCRL: firstCRL, events: [Self.event("authority.create", "root-ca-1")])
        #expect(try await store.key(id: "aa")?.state == .active)
        #expect(try await store.authority(named: "root-ca-1")?.certificateSerial == "0101")
        #expect(try await store.certificate(serial: "0101")?.status == .valid)
        #expect(try await store.latestCRL(issuer: "root-ca-1") == firstCRL)
        // The CA's numbering continues after its first CRL (RFC 5280 §5.2.3: strictly increasing).
        #expect(try await store.nextCRLNumber(issuer: "root-ca-1", event: Self.event("crl.publish", "root-ca-1")) == 2)
    }

    @Test("a recorded CRL is replaced only by a higher-numbered one")
    func crlRecordKeepsNewest() async throws {
        let store = try Self.store()
        func crl(_ number: Int64) -> PublishedCRL {
            PublishedCRL(issuer: "issuing-ca-1", number: number, thisUpdate: Date(timeIntervalSince1970: Double(number)),
                         nextUpdate: Date(timeIntervalSince1970: Double(number) + 100), entries: Int(number), der: [0x30, UInt8(number)])
        }
        #expect(try await store.latestCRL(issuer: "issuing-ca-1") == nil)
        try await store.recordCRL(crl(3))
        try await store.recordCRL(crl(2))
        #expect(try await store.latestCRL(issuer: "issuing-ca-1") == crl(3))
        try await store.recordCRL(crl(4))
        #expect(try await store.latestCRL(issuer: "issuing-ca-1") == crl(4))
        #expect(try await store.latestCRL(issuer: "issuing-ca-2") == nil)
    }
}
