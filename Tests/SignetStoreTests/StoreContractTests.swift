import Foundation
import GRDB
import SignetCore
import SignetPostgres
@testable import SignetStore
import SignetTestSupport
import Testing

/// The behaviour every store owes Core, checked on each store: SQLite on a temporary file and
/// PostgreSQL on a database of its own in the test cluster (``TestPostgres``). A test here that
/// passes on one store and fails on the other is a bug in that store.
@Suite struct StoreContractTests {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A store under test with what a test needs beyond the protocols: a statement run directly (an
    /// edit behind the store's back), closing, and opening the same database again.
    struct Subject: Sendable {
        let store: any SignetStorage
        let execute: @Sendable (String) async throws -> Void
        let close: @Sendable () async throws -> Void
        let reopen: @Sendable () async throws -> any SignetStorage
    }

    static func make(_ kind: Kind) async throws -> Subject {
        switch kind {
        case .sqlite:
            let path = TestEnvironment.temporaryDirectory("store") + "/signet.db"
            let store = try SQLiteStore(path: path)
            return Subject(store: store, execute: { sql in try await store.write("edit") { db in try db.execute(sql: sql) } },
                           close: { try await store.close() }, reopen: { try SQLiteStore(path: path) })
        case .postgres:
            let (url, password) = try TestPostgres.makeDatabase()
            // A generous wait for a connection: under the whole suite on two cores, hundreds of concurrent
            // operations queue for the pool's connections far longer than a server would let a request wait.
            let store = try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120))
            return Subject(store: store, execute: { sql in try await store.execute(sql) }, close: { await store.close() },
                           reopen: { try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120)) })
        }
    }

    static func event(_ action: String, _ target: String? = nil) -> AuditEvent {
        AuditEvent(time: Date(), actor: "tester", role: "admin", action: action, target: target)
    }

    static func pending(_ serial: String, team: String = "payments", notAfter: Date = Date() + 86_400) -> PendingCertificate {
        PendingCertificate(record: CertificateRecord(
            serial: serial, issuer: "issuing-ca-1", profile: "prerelease-codesign", subject: "CN=x", team: team, release: nil, requester: "alice",
            keyID: nil, notBefore: Date() - 60, notAfter: notAfter, status: .pending, der: nil, createdAt: Date()), tbs: [0x30, 0x00])
    }

    @Test("reserve, complete and revoke move a certificate through its states exactly once", arguments: Kind.allCases)
    func lifecycle(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        try await store.reserve(Self.pending("01aa"))
        await #expect { try await store.reserve(Self.pending("01aa")) } throws: { ($0 as? SignetError)?.code == .conflict }
        await #expect { try await store.revoke(serial: "01aa", reason: .keyCompromise, at: Date(), event: Self.event("certificate.revoke")) } throws: {
            ($0 as? SignetError)?.code == .conflict
        }
        let completed = try await store.complete(serial: "01aa", der: [1, 2, 3], event: Self.event("certificate.issue", "01aa"))
        #expect(completed.status == .valid && completed.der == [1, 2, 3])
        // The record returned when completing is the one a later read finds.
        #expect(try await store.certificate(serial: "01aa") == completed)
        await #expect { try await store.complete(serial: "01aa", der: [9], event: Self.event("certificate.issue")) } throws: { ($0 as? SignetError)?.code == .conflict }
        let revoked = try await store.revoke(serial: "01aa", reason: .keyCompromise, at: Date(), event: Self.event("certificate.revoke", "01aa"))
        #expect(revoked.status == .revoked && revoked.revocationReason == .keyCompromise)
        #expect(try await store.certificate(serial: "01aa") == revoked)
        #expect(try await store.revokedEntries(issuer: "issuing-ca-1", notExpiredAt: Date()).map(\.serial) == [[0x01, 0xaa]])
        #expect(try await store.revocationRevision() == 1)
        await #expect { try await store.revoke(serial: "01aa", reason: .superseded, at: Date(), event: Self.event("certificate.revoke")) } throws: { ($0 as? SignetError)?.code == .conflict }
        await #expect { try await store.revoke(serial: "02bb", reason: .superseded, at: Date(), event: Self.event("certificate.revoke")) } throws: { ($0 as? SignetError)?.code == .notFound }
        // Two successful state changes, two audit entries: failed attempts left no trace.
        #expect(try await store.auditEntries(after: 0, limit: 100).map(\.event.action) == ["certificate.issue", "certificate.revoke"])
    }

    @Test("concurrent reservations of the same serials: each serial is recorded once, the duplicates are conflicts that leave nothing", arguments: Kind.allCases)
    func concurrentDuplicateReservations(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        let reserved = try await withThrowingTaskGroup(of: Bool.self) { group in
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
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(reserved == 20)
        #expect(try await store.countCertificates(.init()) == 20)
    }

    @Test("a status, reason or role the store holds that Signet does not know is a store error naming table and column, never a default", arguments: Kind.allCases)
    func unknownStoredValues(kind: Kind) async throws {
        let subject = try await Self.make(kind)
        let store = subject.store
        try await store.reserve(Self.pending("01aa"))
        _ = try await store.complete(serial: "01aa", der: [1, 2, 3], event: Self.event("certificate.issue", "01aa"))
        #expect(try await store.certificate(serial: "01aa")?.status == .valid)
        for (sql, column) in [("UPDATE certificates SET status = 'frozen' WHERE serial = '01aa'", "certificates.status"),
                              ("UPDATE certificates SET status = 'revoked', revocation_reason = 99, revoked_at = 1 WHERE serial = '01aa'", "certificates.revocation_reason")] {
            try await subject.execute(sql)
            await #expect { _ = try await store.certificate(serial: "01aa") } throws: {
                ($0 as? SignetError)?.code == .storage && "\($0)".contains(column)
            }
        }
        try await store.createToken(APITokenRecord(id: "t1", name: "bob", role: .auditor, team: nil, hash: "h1", createdAt: Date(), expiresAt: nil, revokedAt: nil,
                                                   createdBy: "tester"), event: Self.event("token.create"))
        try await subject.execute("UPDATE api_tokens SET role = 'superuser'")
        await #expect { _ = try await store.tokens() } throws: { ($0 as? SignetError)?.code == .storage && "\($0)".contains("api_tokens.role") }
    }

    @Test("queries filter by team, status and expiry window, with keyset pagination", arguments: Kind.allCases)
    func queries(kind: Kind) async throws {
        let store = try await Self.make(kind).store
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
        let counts = try await store.certificateCounts(at: now)
        #expect(counts.first { $0.team == "payments" && $0.status == "expired" }?.count == 1)
        #expect(counts.first { $0.team == "payments" && $0.status == "valid" }?.count == 2)
    }

    @Test("certificates with the same notAfter list in issuance order, and every page size walks them exactly once", arguments: Kind.allCases)
    func tiesListInIssuanceOrder(kind: Kind) async throws {
        let store = try await Self.make(kind).store
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

    @Test("a page of summaries is byte for byte the records' summaries, every page size, cursor included", arguments: Kind.allCases)
    func summaryPages(kind: Kind) async throws {
        let store = try await Self.make(kind).store
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
        // Text comes back exactly as written.
        #expect(Set(records.map(\.subject)) == Set(subjects))
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
            for (index, page) in pages.dropLast().enumerated() {
                #expect(page.next == CertificateQuery.Cursor(after: records[(index + 1) * pageSize - 1]))
            }
            #expect(pages.last?.next == nil)
        }
        let payments = try await store.certificateSummaries(.init(team: "payments", limit: 100), now: now)
        #expect(payments.count == (try await store.certificates(.init(team: "payments"))).count)
    }

    @Test("lookups and listings from 64 concurrent tasks all answer", arguments: Kind.allCases)
    func concurrentReads(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        for i in 1...12 { try await store.reserve(Self.pending(String(format: "%02x", i), team: i % 3 == 0 ? "web" : "payments")) }
        let found = try await withThrowingTaskGroup(of: (String?, Int).self) { group in
            for i in 0..<64 {
                group.addTask {
                    let team = i % 2 == 0 ? "payments" : "web"
                    return (try await store.certificate(serial: String(format: "%02x", i % 12 + 1))?.serial,
                            try await store.certificateSummaries(.init(team: team, limit: 100), now: Date()).count)
                }
            }
            return try await group.reduce(into: [(String?, Int)]()) { $0.append($1) }
        }
        #expect(found.count == 64 && Set(found.map(\.0)) == Set((1...12).map { String(format: "%02x", $0) }))
        #expect(Set(found.map(\.1)) == [4, 8])
        #expect(try await store.certificate(serial: "ff") == nil)
    }

    @Test("closing a store lets the writes in flight commit; a reopened store has them", arguments: Kind.allCases)
    func closeAfterWrites(kind: Kind) async throws {
        let subject = try await Self.make(kind)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 1...20 { group.addTask { try await subject.store.reserve(Self.pending(String(format: "%02x", i))) } }
            try await group.waitForAll()
        }
        try await subject.close()
        do {
            try await subject.store.reserve(Self.pending("ff"))
            Issue.record("a closed store accepted a write")
        } catch let error as SignetError {
            #expect(error.code == .storage)
        }
        #expect(try await subject.reopen().certificates(.init(limit: 100)).count == 20)
    }

    @Test("the audit trail is chained in the database; a direct edit or deletion is detected", arguments: Kind.allCases)
    func auditTampering(kind: Kind) async throws {
        let subject = try await Self.make(kind)
        for i in 1...6 { try await subject.store.append(Self.event("test.event", "t\(i)")) }
        let intact = try await subject.store.auditEntries(after: 0, limit: 100)
        #expect(intact.map(\.sequence) == Array(1...6))
        #expect(AuditChain.firstBreak(in: intact) == nil)
        #expect(try await subject.store.lastAuditEntry()?.sequence == 6)
        #expect(try await subject.store.auditEntries(AuditQuery(action: "test.event", after: 4)).map(\.sequence) == [5, 6])

        try await subject.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        #expect(AuditChain.firstBreak(in: try await subject.store.auditEntries(after: 0, limit: 100))?.0.sequence == 3)

        let other = try await Self.make(kind)
        for i in 1...6 { try await other.store.append(Self.event("test.event", "t\(i)")) }
        try await other.execute("DELETE FROM audit_log WHERE seq = 4")
        #expect(AuditChain.firstBreak(in: try await other.store.auditEntries(after: 0, limit: 100))?.0.sequence == 5)
    }

    @Test("a pending key becomes active only together with its authority and its first CRL, in one transaction", arguments: Kind.allCases)
    func authorityCommit(kind: Kind) async throws {
        let store = try await Self.make(kind).store
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
        let revision = try await store.authorityRevision()

        try await store.completeAuthority(authority, der: [1], superseding: nil, firstCRL: firstCRL, events: [Self.event("authority.create", "root-ca-1")])
        #expect(try await store.key(id: "aa")?.state == .active)
        let recorded = try #require(try await store.authority(named: "root-ca-1"))
        #expect(recorded.certificateSerial == "0101" && recorded.keyID == "aa" && recorded.state == .active && recorded.certificateDER == [1]
                && abs(recorded.notAfter.timeIntervalSince(authority.notAfter)) < 1e-6)
        #expect(try await store.certificate(serial: "0101")?.status == .valid)
        #expect(try await store.latestCRL(issuer: "root-ca-1") == firstCRL)
        #expect(try await store.authorityRevision() == revision + 1)
        // The CA's numbering continues after its first CRL (RFC 5280 §5.2.3: strictly increasing).
        #expect(try await store.nextCRLNumber(issuer: "root-ca-1", event: Self.event("crl.publish", "root-ca-1")) == 2)
        // Retiring moves the authority on and schedules its key for destruction, with one audit entry.
        try await store.retireAuthority("root-ca-1", at: Date(), event: Self.event("authority.retire", "root-ca-1"))
        #expect(try await store.authority(named: "root-ca-1")?.state == .retired)
        #expect(try await store.key(id: "aa")?.state == .retiring)
        await #expect { try await store.retireAuthority("root-ca-1", at: Date(), event: Self.event("authority.retire")) } throws: { ($0 as? SignetError)?.code == .conflict }
        #expect(try await store.auditEntries(after: 0, limit: 100).map(\.event.action) == ["key.generate", "authority.create", "crl.publish", "authority.retire"])
    }

    @Test("a recorded CRL is replaced only by a higher-numbered one", arguments: Kind.allCases)
    func crlRecordKeepsNewest(kind: Kind) async throws {
        let store = try await Self.make(kind).store
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

    @Test("CRL numbers and TSA serial blocks taken concurrently are unique, without gaps, each with its audit entry", arguments: Kind.allCases)
    func concurrentCounters(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        let (numbers, blocks) = try await withThrowingTaskGroup(of: (Int64?, Range<Int64>?).self) { group in
            for i in 0..<40 {
                group.addTask {
                    if i % 2 == 0 {
                        return (try await store.nextCRLNumber(issuer: "issuing-ca-1", event: Self.event("crl.publish", "issuing-ca-1")), nil)
                    }
                    return (nil, try await store.reserveTimestampSerials(count: 7, event: Self.event("tsa.serials.reserve")))
                }
            }
            return try await group.reduce(into: ([Int64](), [Range<Int64>]())) { all, next in
                if let number = next.0 { all.0.append(number) }
                if let block = next.1 { all.1.append(block) }
            }
        }
        #expect(numbers.sorted() == Array(1...20))
        let expectedBlocks: [Range<Int64>] = (0..<20).map { (index: Int) -> Range<Int64> in Int64(index * 7 + 1)..<Int64(index * 7 + 8) }
        #expect(blocks.sorted { $0.lowerBound < $1.lowerBound } == expectedBlocks)
        let entries = try await store.auditEntries(after: 0, limit: 100)
        #expect(entries.count == 40 && AuditChain.firstBreak(in: entries) == nil)
    }

    @Test("tokens: created once, found by hash, revoked once", arguments: Kind.allCases)
    func tokens(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        let record = APITokenRecord(id: "t1", name: "ci-payments", role: .ci, team: "payments", hash: "h1", createdAt: Date(),
                                    expiresAt: Date() + 3600, revokedAt: nil, createdBy: "tester")
        try await store.createToken(record, event: Self.event("token.create", "t1"))
        await #expect(throws: SignetError.self) { try await store.createToken(record, event: Self.event("token.create", "t1")) }
        // Times read back within a microsecond (a Date passes through seconds since 1970 on the way).
        let found = try #require(try await store.token(hash: "h1"))
        #expect(found.id == record.id && found.role == .ci && found.team == "payments" && found.revokedAt == nil
                && abs(found.createdAt.timeIntervalSince(record.createdAt)) < 1e-6 && abs(found.expiresAt!.timeIntervalSince(record.expiresAt!)) < 1e-6)
        #expect(try await store.token(hash: "h2") == nil)
        let revoked = try await store.revokeToken(id: "t1", at: Date(), event: Self.event("token.revoke", "t1"))
        let listed = try await store.tokens()
        #expect(listed.map(\.id) == ["t1"] && listed.first?.revokedAt != nil && revoked.revokedAt != nil)
        await #expect { _ = try await store.revokeToken(id: "t1", at: Date(), event: Self.event("token.revoke")) } throws: { ($0 as? SignetError)?.code == .conflict }
        await #expect { _ = try await store.revokeToken(id: "zz", at: Date(), event: Self.event("token.revoke")) } throws: { ($0 as? SignetError)?.code == .notFound }
        #expect(try await store.auditEntries(after: 0, limit: 100).map(\.event.action) == ["token.create", "token.revoke"])
    }

    @Test("a team's live keys are capped in the write: of concurrent requests, only the allowed number record a key", arguments: Kind.allCases)
    func liveKeyLimit(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        let recorded = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<12 {
                group.addTask {
                    let key = KeyRecord(id: String(format: "k%02d", i), label: "release-\(i)", algorithm: .ecP256, purpose: .release, state: .pending,
                                        createdAt: Date(), team: "payments", release: "v\(i)")
                    do {
                        try await store.recordPendingKey(key, maxLivePerTeam: 5, event: Self.event("key.generate", key.id))
                        return true
                    } catch let error as SignetError where error.code == .policyRefused {
                        return false
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(recorded == 5)
        #expect(try await store.keys().count == 5)
        let first = try #require(try await store.keys().first)
        try await store.setKeyState(id: first.id, to: .destroyed, at: Date(), event: Self.event("key.destroy", first.id))
        let destroyed = try await store.key(id: first.id)
        #expect(destroyed?.state == .destroyed && destroyed?.destroyedAt != nil)
        await #expect { try await store.setKeyState(id: "nope", to: .destroyed, at: Date(), event: Self.event("key.destroy")) } throws: { ($0 as? SignetError)?.code == .notFound }
    }

    @Test("audit checkpoints: compare and set against the newest row; a refresh over the same entry replaces it", arguments: Kind.allCases)
    func checkpoints(kind: Kind) async throws {
        let store = try await Self.make(kind).store
        for i in 1...3 { try await store.append(Self.event("test.event", "t\(i)")) }
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let first = AuditCheckpoint(sequence: 2, entryHash: "h2", time: time, keyID: "audit", signature: [1, 2])
        try await store.recordCheckpoint(first, replacingNewest: nil)
        // A writer that saw no checkpoint is refused now that one exists.
        await #expect { try await store.recordCheckpoint(AuditCheckpoint(sequence: 3, entryHash: "h3", time: time, keyID: "audit", signature: [3]), replacingNewest: nil) } throws: {
            ($0 as? SignetError)?.code == .conflict
        }
        let refresh = AuditCheckpoint(sequence: 2, entryHash: "h2", time: time + 60, keyID: "audit", signature: [9], previousSequence: nil)
        try await store.recordCheckpoint(refresh, replacingNewest: first)
        let next = AuditCheckpoint(sequence: 3, entryHash: "h3", time: time + 120, keyID: "audit", signature: [4], previousSequence: 2)
        try await store.recordCheckpoint(next, replacingNewest: refresh)
        #expect(try await store.checkpoints() == [refresh, next])
        #expect(try await store.newestCheckpoint() == next)
    }
}
