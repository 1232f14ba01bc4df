import Foundation
import GRDB
import SignetCore

/// Read-only connections that run a point lookup on the caller's thread.
///
/// GRDB's asynchronous pool read takes three thread hops (a semaphore queue, the reader's queue, and
/// back to the task), which for a lookup of one row by an indexed key costs several times the query
/// itself. Every authenticated request looks its token up, so the hot point lookups run here instead:
/// a connection is taken from a locked free list and used synchronously, and when every connection is
/// busy the caller gets `nil` and falls back to the pool rather than waiting.
final class InlineReaders: @unchecked Sendable {
    private let idle: Locked<[DatabaseQueue]>

    init(path: String, count: Int, configuration base: Configuration) throws {
        var configuration = base
        configuration.readonly = true
        idle = Locked(try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: configuration) })
    }

    /// Runs `body` on an idle connection, or returns nil without running it when none is idle.
    func read<T>(_ body: (Database) throws -> T) throws -> T? {
        guard let connection = idle.withLock({ $0.popLast() }) else { return nil }
        defer { idle.withLock { $0.append(connection) } }
        return try connection.unsafeRead(body)
    }
}
