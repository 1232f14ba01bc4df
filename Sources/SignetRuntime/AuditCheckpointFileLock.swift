import Foundation
import SignetCore
#if canImport(Glibc)
import Glibc
#endif

/// Serialises audit checkpointing between the processes that share a home (the server's checkpoint
/// service, `signet audit checkpoint`, `signet init`) with an exclusive flock on
/// `<home>/audit-checkpoint.lock`. flock locks belong to an open file, so two checkpoints in one
/// process exclude each other too.
public struct AuditCheckpointFileLock: AuditCheckpointLock {
    public let path: String

    public init(home: SignetHome) { self.path = home.checkpointLockPath }

    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SignetError(.storage, "Cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // Polled rather than blocking, so a wait never holds a cooperative thread; a checkpoint takes
        // milliseconds, so a minute of waiting means the holder is stuck.
        let deadline = Date().addingTimeInterval(60)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw SignetError(.storage, "Cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            guard Date() < deadline else {
                throw SignetError.conflict("Another process has held \(path) for a minute; is a checkpoint stuck?")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }
}
