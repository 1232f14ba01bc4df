import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Idle libcurl easy handles, kept so the next request reuses the connection (and TLS session) a handle
/// already has with Signet instead of opening one per signature. A handle is used by one thread at a
/// time: taken from the pool for a request, given back after it.
///
/// After fork() the child initialises the module again and gets a pool of its own; the parent's pool is
/// dropped in the child without closing its handles, because their connections (and TLS state) are the
/// parent's, still in use there (`owner` is the pid that made the pool).
final class CurlHandlePool: @unchecked Sendable {
    /// More idle handles than a consumer's concurrent signers need are closed rather than kept.
    static let maximumIdle = 8

    private let mutex = PthreadMutex()
    /// Guarded by `mutex`.
    private var idle: [UnsafeMutableRawPointer] = []
    private let owner = getpid()

    /// A handle with no options set (an idle one reset, keeping its connections), or nil when libcurl
    /// cannot make one.
    func take() -> UnsafeMutableRawPointer? {
        if let handle = mutex.withLock({ idle.popLast() }) {
            curl_easy_reset(handle)
            return handle
        }
        return curl_easy_init()
    }

    /// Gives `handle` back after a request (whatever its outcome: libcurl drops a broken connection itself).
    func give(_ handle: UnsafeMutableRawPointer) {
        let kept = mutex.withLock { () -> Bool in
            guard idle.count < Self.maximumIdle, getpid() == owner else { return false }
            idle.append(handle)
            return true
        }
        if !kept && getpid() == owner { curl_easy_cleanup(handle) }
    }

    deinit {
        guard getpid() == owner else { return }
        for handle in idle { curl_easy_cleanup(handle) }
    }
}
