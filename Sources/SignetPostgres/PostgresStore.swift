import Foundation
import Logging
import PostgresNIO
import SignetCore

/// Signet's store on PostgreSQL: the same repository protocols as the SQLite store, for deployments
/// where several `signet serve` nodes share one database.
///
/// Everything that must be "one" across nodes is decided by the database inside the transaction that
/// records it, never by a node's memory: a serial is the certificates table's primary key (a second
/// reservation of it is refused), a CRL number and a block of TSA serials come from an
/// `INSERT … ON CONFLICT DO UPDATE … RETURNING` on one row (row-locked until commit), and appends to
/// the audit chain are serialised by a row lock on its head (``PostgresTransaction/appendAudit(_:)``).
/// Every state change commits in one transaction with its audit entries, as on SQLite.
///
/// A database that cannot be reached, or a connection that is not had within ``leaseTimeout``, is a
/// ``SignetError/Code/storage`` error, which the server answers with 503; the client's pool reconnects
/// by itself when PostgreSQL is back. Errors name the store by ``PostgresStoreURL/description``, which
/// never holds the password.
public final class PostgresStore: Sendable {
    public let url: PostgresStoreURL
    let client: PostgresClient
    private let runner: Task<Void, Never>
    /// How long an operation waits for a connection before it fails (the database is down or every
    /// connection is busy); a request then gets 503 instead of hanging.
    public let leaseTimeout: Duration

    /// The client logs nothing: its debug output carries statements with their bound values.
    static let logger = Logger(label: "signet.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    private init(url: PostgresStoreURL, client: PostgresClient, runner: Task<Void, Never>, leaseTimeout: Duration) {
        (self.url, self.client, self.runner, self.leaseTimeout) = (url, client, runner, leaseTimeout)
    }

    deinit { runner.cancel() }

    /// Connects to the database at `url` and brings its schema up to date (``PostgresSchema``).
    /// `password` is used only to authenticate; it is never shown.
    public static func open(_ url: PostgresStoreURL, password: String?, maximumConnections: Int = 20,
                            connectTimeout: Duration = .seconds(5), leaseTimeout: Duration = .seconds(10)) async throws -> PostgresStore {
        let tls: PostgresClient.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user, password: password,
                                                         database: url.database, tls: tls)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.additionalStartupParameters = [("application_name", "signet")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        let store = PostgresStore(url: url, client: client, runner: runner, leaseTimeout: leaseTimeout)
        do {
            try await store.withConnection("bringing the schema up to date") { connection in
                try await PostgresSchema.migrate(connection, logger: logger)
            }
        } catch {
            runner.cancel()
            throw error
        }
        return store
    }

    /// Closes every connection; the store is not to be used afterwards.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    // MARK: Running statements

    /// Runs `body` in one transaction (READ COMMITTED; the statements that must see the newest row lock
    /// it) and returns once it has committed. A deadlock or serialisation failure, which PostgreSQL
    /// resolves by aborting one side, is retried a few times; other database errors become store
    /// errors naming `what`.
    func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection(what) { connection in
                    try await connection.query("BEGIN", logger: Self.logger)
                    do {
                        let value = try await body(PostgresTransaction(connection: connection, logger: Self.logger))
                        try await connection.query("COMMIT", logger: Self.logger)
                        return value
                    } catch {
                        // A broken connection cannot roll back, and needs not: the server aborts the
                        // transaction when the connection goes.
                        _ = try? await connection.query("ROLLBACK", logger: Self.logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < 5 && Self.isRetryable(error) {
                try await Task.sleep(for: .milliseconds(attempt * 10))
            }
        }
    }

    /// Runs `body`, a read, on one connection outside any explicit transaction.
    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await withConnection(what) { connection in
            try await body(PostgresTransaction(connection: connection, logger: Self.logger))
        }
    }

    /// Leases a connection for `body`. Waiting for the lease is bounded by ``leaseTimeout``; once `body`
    /// has its connection it runs to its end (a write is then committed or rolled back, never left to
    /// an abandoned task).
    func withConnection<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = Locked(LeaseState.waiting)
        let timeout = leaseTimeout
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        let mine = lease.withLock { state -> Bool in
                            guard state == .waiting else { return false }
                            state = .leased
                            return true
                        }
                        guard mine else { throw CancellationError() }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    let expired = lease.withLock { state -> Bool in
                        guard state == .waiting else { return false }
                        state = .timedOut
                        return true
                    }
                    if expired { throw SignetError(.storage, "PostgreSQL at \(self.url) gave no connection within \(timeout) while \(what); is it running and reachable?") }
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw SignetError.internalError("The PostgreSQL operation ended without a result while \(what)")
            }
        } catch {
            throw storeError(error, what)
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        // 40001 serialization_failure, 40P01 deadlock_detected.
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// Signet's own errors pass through; the driver's become store errors that name the database (without
    /// a password) and what was being done. The driver's full description is never used: it can carry
    /// the statement's bound values (a token hash, a certificate).
    func storeError(_ error: any Error, _ what: String) -> SignetError {
        switch error {
        case let error as SignetError:
            return error
        case let error as PSQLError:
            if error.code == .server, let info = error.serverInfo {
                let state = info[.sqlState] ?? "?"
                return SignetError(.storage, "PostgreSQL at \(url) refused while \(what): \(info[.message] ?? "an error") (SQLSTATE \(state))")
            }
            let cause = error.underlying.map { "; \($0)" } ?? ""
            return SignetError(.storage, "PostgreSQL at \(url) is unavailable while \(what) (\(error.code)\(cause)); nothing was recorded by this request")
        case is PostgresDecodingError:
            return SignetError(.storage, "PostgreSQL at \(url) holds a value of an unexpected type, seen while \(what); the database was edited by hand or by another program")
        case is CancellationError:
            return SignetError(.storage, "Cancelled while \(what) on PostgreSQL at \(url)")
        default:
            return SignetError(.storage, "Store failure on PostgreSQL at \(url) while \(what): \(error)")
        }
    }
}

/// Where an operation's wait for a connection stands: whichever of the lease and the timeout comes
/// first moves it on, and the other then gives way.
private enum LeaseState { case waiting, leased, timedOut }

extension PostgresStore {
    /// Runs one statement outside the repository protocols, in a transaction of its own: for tests in
    /// this package that set up or inspect a state directly (an edited row, a tampered trail).
    package func execute(_ sql: String) async throws {
        _ = try await write("running a statement") { tx in try await tx.execute(PostgresQuery(unsafeSQL: sql)) }
    }

    /// The first column of the first row of `sql`, as text (for tests in this package).
    package func text(_ sql: String) async throws -> String? {
        try await read("running a query") { tx in try await tx.scalar(PostgresQuery(unsafeSQL: sql), as: String.self) }
    }
}
