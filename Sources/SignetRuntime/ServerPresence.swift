import Foundation
import SignetCore
#if canImport(Glibc)
import Glibc
#endif

/// How `signet audit verify` knows that a server runs on a home: every `signet serve` holds a shared
/// flock on `<home>/serve.lock` for as long as it runs, and verify asks for an exclusive one without
/// waiting. The kernel drops the lock when the process ends, however it ends, so a crashed server
/// never counts as running and there is no pid file to go stale.
public final class ServerPresence: @unchecked Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Takes the home's server lock (shared: several servers may share a home) until this value is released.
    public static func hold(_ home: SignetHome) throws -> ServerPresence {
        let descriptor = open(home.serverLockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SignetError.configuration("Cannot open \(home.serverLockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_SH) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw SignetError.configuration("Cannot lock \(home.serverLockPath): \(reason)")
        }
        return ServerPresence(descriptor: descriptor)
    }

    /// Whether some process holds the home's server lock now. Never creates the file (an auditor may
    /// only be able to read the home).
    public static func isServerRunning(_ home: SignetHome) -> Bool {
        let descriptor = open(home.serverLockPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }
}
