import Foundation
import PostgresNIO
import SignetCore

/// Serialises audit checkpointing between every process on one PostgreSQL database (all nodes, and
/// `signet audit checkpoint` anywhere) with a session advisory lock, where a home on SQLite uses a
/// file lock. The lock belongs to the connection that took it, so a node that dies releases it with
/// its connection.
public struct PostgresCheckpointLock: AuditCheckpointLock {
    public let store: PostgresStore
    /// "signet-c" in ASCII: the checkpoint lock's key.
    static let key: Int64 = 0x7369_676E_6574_2D63

    public init(store: PostgresStore) { self.store = store }

    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let logger = PostgresStore.logger
        do {
            return try await store.client.withConnection { connection in
                // Polled rather than blocking, so the wait can end; a checkpoint takes milliseconds, so a
                // minute of waiting means the holder is stuck.
                let deadline = ContinuousClock.now + .seconds(60)
                while true {
                    let rows = try await connection.query("SELECT pg_try_advisory_lock(\(Self.key))", logger: logger).collect()
                    if try rows.first?.decode(Bool.self) == true { break }
                    guard ContinuousClock.now < deadline else {
                        throw SignetError.conflict("Another Signet process has held the audit checkpoint lock on \(store.url) for a minute; is a checkpoint stuck?")
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.key))", logger: logger)
                return try result.get()
            }
        } catch {
            throw store.storeError(error, "taking the audit checkpoint lock")
        }
    }
}
