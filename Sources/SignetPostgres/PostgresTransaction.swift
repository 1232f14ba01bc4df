import Foundation
import PostgresNIO
import SignetCore

/// One leased connection, inside a transaction when the store's `write` made it: runs statements and
/// appends to the audit chain.
struct PostgresTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Every row of `query`, for random access by column name.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) { rows.append(row.makeRandomAccess()) }
        return rows
    }

    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// Runs `query` and returns how many rows it returned (with `RETURNING 1`: how many it changed).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger) { count += 1 }
        return count
    }

    /// The single value of a one-row, one-column query; nil when there is no row or it is NULL.
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        guard let row = try await row(query) else { return nil }
        let cell = row[0]
        return cell.bytes == nil ? nil : try cell.decode(T.self)
    }

    /// Appends `event` to the audit chain. The chain's head row is locked first (`FOR UPDATE`, held to
    /// commit), so concurrent writers on any node append one after another: each reads the entry the
    /// previous one committed, and the chain neither forks nor skips a number. Take it last in a
    /// transaction, after its other row locks: a transaction holding the head then waits for nothing,
    /// so the head can never be part of a deadlock.
    func appendAudit(_ event: AuditEvent) async throws {
        try await execute("SELECT id FROM audit_head WHERE id = 1 FOR UPDATE")
        let last = try await row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        let sequence: Int64 = try last.map { try $0[0].decode(Int64.self) } ?? 0
        let next = sequence + 1
        let previous: String = try last.map { try $0[1].decode(String.self) } ?? AuditChain.genesis
        let hash = AuditChain.hash(sequence: next, event: event, previousHash: previous)
        let details = CanonicalJSON.object(event.details)
        let millis = AuditChain.millis(event.time)
        try await execute("""
            INSERT INTO audit_log (seq, time_ms, actor, role, action, target, outcome, details, prev_hash, hash)
            VALUES (\(next), \(millis), \(event.actor), \(event.role), \(event.action), \(event.target), \(event.outcome.rawValue), \(details), \(previous), \(hash))
            """)
    }
}
