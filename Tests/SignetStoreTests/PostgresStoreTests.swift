import Foundation
import SignetCore
import SignetPostgres
import SignetTestSupport
import Testing

/// What only the PostgreSQL store has to show: several nodes (here, several stores in one process,
/// each with its own connections) on one database, a database that goes away and comes back, and a
/// URL that never carries a password.
@Suite struct PostgresStoreTests {
    static func event(_ action: String, _ target: String? = nil) -> AuditEvent {
        AuditEvent(time: Date(), actor: "tester", role: "admin", action: action, target: target)
    }

    static func pending(_ serial: String) -> PendingCertificate {
        StoreContractTests.pending(serial)
    }

    @Test("nodes starting together on an empty database create the schema once")
    func concurrentMigrations() async throws {
        let (url, password) = try TestPostgres.makeDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120)) } }
            return try await group.reduce(into: [PostgresStore]()) { $0.append($1) }
        }
        #expect(stores.count == 4)
        #expect(try await stores[0].text("SELECT string_agg(name, ',' ORDER BY name) FROM schema_migrations") == "v1")
        // Opening again applies nothing and changes nothing.
        try await stores[1].reserve(Self.pending("01"))
        #expect(try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120)).certificate(serial: "01")?.serial == "01")
    }

    @Test("two nodes racing on one database: every serial recorded once, CRL numbers and TSA blocks unique without gaps, one unbroken audit chain")
    func twoNodesRace() async throws {
        let (url, password) = try TestPostgres.makeDatabase()
        let nodes = [try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120)), try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120))]
        // 600 operations, alternating between the nodes: reservations with every serial wanted twice
        // (once by each node), completions, CRL numbers, TSA blocks and plain audit appends.
        enum Outcome: Sendable { case reserved(String), duplicate, crl(Int64), tsa(Range<Int64>), appended }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for i in 0..<600 {
                let node = nodes[i % 2]
                group.addTask {
                    switch i % 6 {
                    case 0, 1:
                        // i/6 is the same for i = 6k and 6k+1, which run on different nodes.
                        let serial = String(format: "%04x", i / 6 + 1)
                        do {
                            try await node.reserve(Self.pending(serial))
                            _ = try await node.complete(serial: serial, der: [0x30, 0x00], event: Self.event("certificate.issue", serial))
                            return .reserved(serial)
                        } catch let error as SignetError where error.code == .conflict {
                            return .duplicate
                        }
                    case 2: return .crl(try await node.nextCRLNumber(issuer: "issuing-ca-1", event: Self.event("crl.publish", "issuing-ca-1")))
                    case 3: return .tsa(try await node.reserveTimestampSerials(count: 10, event: Self.event("tsa.serials.reserve")))
                    default:
                        try await node.append(Self.event("test.event", "\(i)"))
                        return .appended
                    }
                }
            }
            return try await group.reduce(into: [Outcome]()) { $0.append($1) }
        }
        var serials: [String] = [], duplicates = 0, numbers: [Int64] = [], blocks: [Range<Int64>] = []
        for outcome in outcomes {
            switch outcome {
            case .reserved(let serial): serials.append(serial)
            case .duplicate: duplicates += 1
            case .crl(let number): numbers.append(number)
            case .tsa(let block): blocks.append(block)
            case .appended: break
            }
        }
        #expect(serials.count == 100 && Set(serials).count == 100 && duplicates == 100)
        #expect(try await nodes[1].countCertificates(.init(status: .valid)) == 100)
        #expect(numbers.sorted() == Array(1...100))
        let expectedBlocks: [Range<Int64>] = (0..<100).map { (index: Int) -> Range<Int64> in Int64(index * 10 + 1)..<Int64(index * 10 + 11) }
        #expect(blocks.sorted { $0.lowerBound < $1.lowerBound } == expectedBlocks)
        // 100 issues, 100 CRL numbers, 100 TSA blocks and 200 plain events: 500 entries, one chain.
        var entries: [AuditEntry] = []
        while true {
            let page = try await nodes[0].auditEntries(after: entries.last?.sequence ?? 0, limit: 1000)
            if page.isEmpty { break }
            entries += page
        }
        #expect(entries.map(\.sequence) == Array(1...500))
        #expect(AuditChain.firstBreak(in: entries) == nil)
    }

    @Test("a revocation through one node is what the other reads: the record, the revoked set and the revision")
    func revocationAcrossNodes() async throws {
        let (url, password) = try TestPostgres.makeDatabase()
        let a = try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120))
        let b = try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120))
        try await a.reserve(Self.pending("0a"))
        _ = try await a.complete(serial: "0a", der: [0x30, 0x00], event: Self.event("certificate.issue", "0a"))
        let before = try await b.revocationRevision()
        // Both nodes revoke at once: one succeeds, the other is told it is already revoked.
        let results = await withTaskGroup(of: Bool.self) { group in
            for node in [a, b] {
                group.addTask { (try? await node.revoke(serial: "0a", reason: .keyCompromise, at: Date(), event: Self.event("certificate.revoke", "0a"))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        #expect(try await b.certificate(serial: "0a")?.status == .revoked)
        #expect(try await b.revokedEntries(issuer: "issuing-ca-1", notExpiredAt: Date()).map(\.serial) == [[0x0a]])
        #expect(try await b.revocationRevision() == before + 1)
    }

    @Test("the checkpoint lock excludes across nodes")
    func checkpointLock() async throws {
        let (url, password) = try TestPostgres.makeDatabase()
        let locks = [PostgresCheckpointLock(store: try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120))),
                     PostgresCheckpointLock(store: try await PostgresStore.open(url, password: password, leaseTimeout: .seconds(120)))]
        let inside = Locked(0)
        let overlaps = Locked(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await locks[i % 2].withLock {
                        if inside.withLock({ $0 += 1; return $0 }) > 1 { overlaps.withLock { $0 += 1 } }
                        try await Task.sleep(for: .milliseconds(5))
                        inside.withLock { $0 -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(overlaps.withLock { $0 } == 0)
    }

    @Test("a stopped database is a store error within the lease timeout, naming the URL and never the password; the same store works again once it is back")
    func databaseDownAndBack() async throws {
        let cluster = try TestPostgres.startCluster()
        let (url, password) = try TestPostgres.makeDatabase(on: cluster)
        let store = try await PostgresStore.open(url, password: password, connectTimeout: .seconds(3), leaseTimeout: .seconds(8))
        try await store.reserve(Self.pending("01"))
        try cluster.stopNow()
        let started = ContinuousClock.now
        do {
            try await store.reserve(Self.pending("02"))
            Issue.record("a write succeeded with the database stopped")
        } catch let error as SignetError {
            #expect(error.code == .storage)
            #expect(error.reason.contains(url.description) && !error.reason.contains(password))
        }
        #expect(ContinuousClock.now - started < .seconds(25))  // the lease timeout, with room for a loaded machine
        try cluster.startAgain()
        // The pool reconnects by itself: no new store, no restart.
        var recovered = false
        for _ in 0..<50 where !recovered {
            recovered = (try? await store.reserve(Self.pending("03"))) != nil
            if !recovered { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(recovered)
        #expect(try await store.certificates(.init()).map(\.serial).sorted() == ["01", "03"])
        await store.close()
        try cluster.stopNow()
    }

    @Test("a wrong password is refused with a store error that does not repeat it")
    func wrongPassword() async throws {
        let (url, _) = try TestPostgres.makeDatabase()
        let wrong = "not-the-password-" + UUID().uuidString
        do {
            _ = try await PostgresStore.open(url, password: wrong, leaseTimeout: .seconds(5))
            Issue.record("a wrong password was accepted")
        } catch let error as SignetError {
            #expect(error.code == .storage && !error.reason.contains(wrong) && error.reason.contains(url.description))
        }
    }

    @Test("store URLs: what parses, what is refused, and that a password in one is refused without being repeated", arguments: [
        ("postgres://signet@db.internal:6543/ca", "postgres://signet@db.internal:6543/ca"),
        ("postgresql://signet@127.0.0.1/ca?sslmode=disable", "postgres://signet@127.0.0.1:5432/ca?sslmode=disable"),
        ("postgres://sig%40net@[::1]:5432/ca?sslmode=require", "postgres://sig@net@[::1]:5432/ca?sslmode=require"),
    ])
    func urls(text: String, shown: String) throws {
        #expect(try PostgresStoreURL(parsing: text).description == shown)
    }

    @Test("malformed store URLs are configuration errors", arguments: [
        "postgres://signet:s3cret-pw@db/ca", "mysql://signet@db/ca", "postgres://db/ca", "postgres://signet@db", "postgres://signet@db:0/ca",
        "postgres://signet@db:99999/ca", "postgres://signet@db/ca?sslmode=sometimes", "postgres://signet@db/ca?password=x", "postgres://signet@/ca",
        "postgres://signet@db/ca b", "",
    ])
    func badURLs(text: String) {
        #expect { _ = try PostgresStoreURL(parsing: text) } throws: { error in
            guard let error = error as? SignetError, error.code == .invalidConfiguration else { return false }
            return !error.reason.contains("s3cret-pw")
        }
    }
}
