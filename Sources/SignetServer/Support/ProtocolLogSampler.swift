import Synchronization

/// Decides which successful protocol answers (OCSP, time-stamps, CRL and CA certificate downloads)
/// get a request line in the log: one in `interval`. These are anonymous and can come by the tens of
/// thousands a second; a line for each would make the log the server's bottleneck and fill the disk,
/// while ``ProtocolMetrics`` and Hummingbird's request metrics count every one. Failures are always
/// logged; API requests (authenticated, and what the audit trail is about) are always logged.
final class ProtocolLogSampler: Sendable {
    /// 1 logs every answer; 0 none.
    let interval: Int
    private let counter = Atomic<UInt64>(0)

    init(interval: Int) { self.interval = max(0, interval) }

    /// Whether this answer is one to log.
    func take() -> Bool {
        guard interval > 1 else { return interval == 1 }
        return counter.wrappingAdd(1, ordering: .relaxed).oldValue % UInt64(interval) == 0
    }

    /// Whether `path` is one of the sampled public endpoints.
    static func isProtocolPath(_ path: String) -> Bool {
        path == "/ocsp" || path == "/tsa" || path.hasPrefix("/ocsp/") || path.hasPrefix("/crl/") || path.hasPrefix("/ca/")
    }
}
