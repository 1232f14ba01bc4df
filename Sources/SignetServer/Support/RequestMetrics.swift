import Dispatch
import HTTPTypes
import Metrics
import SignetCore

/// Hummingbird's request metrics (`hb.requests`, `http.server.request.duration`, by route, method and
/// status — what its MetricsMiddleware records for the router), recorded for the answers
/// ``ProtocolFastPath`` writes without the router, so an operator's request counts and latencies
/// include every OCSP and time-stamp answer whichever path wrote it. Series are created once.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let series = Locked<[Key: (counter: Counter, timer: Timer)]>([:])

    /// Counts one answer on `route` (the router's name for it, e.g. `/ocsp/**`) and its duration.
    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, started: ContinuousClock.Instant) {
        let key = Key(route: route, method: method, status: status.code)
        let pair = series.withLock { series in
            if let pair = series[key] { return pair }
            let dimensions = [("http.route", route), ("http.request.method", method.description), ("http.response.status_code", status.code.description)]
            let pair = (Counter(label: "hb.requests", dimensions: dimensions),
                        Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            series[key] = pair
            return pair
        }
        pair.counter.increment()
        let elapsed = ContinuousClock.now - started
        pair.timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
