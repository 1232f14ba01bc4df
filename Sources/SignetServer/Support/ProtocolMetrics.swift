import Metrics
import SignetWire

/// Counters for every answer of the public DER protocols, by outcome, whichever path wrote it (the
/// event-loop fast path or the router). The request log samples these answers (see
/// ``ProtocolLogSampler``), so the metrics are where their full count lives. Created once: looking a
/// counter up in the metrics registry per answer would cost a lock and a hash each time.
struct ProtocolMetrics: Sendable {
    /// `signet_ocsp_responses_total{status}` by OCSPResponseStatus name (RFC 6960 §4.2.1).
    private let ocsp: [Int: Counter]
    /// `signet_tsa_responses_total{status}`: granted, rejection, or the load refusals hsm_busy and rate_limited.
    let tsaGranted = Counter(label: "signet_tsa_responses_total", dimensions: [("status", "granted")])
    let tsaRejected = Counter(label: "signet_tsa_responses_total", dimensions: [("status", "rejection")])
    let tsaBusy = Counter(label: "signet_tsa_responses_total", dimensions: [("status", "hsm_busy")])
    let tsaRateLimited = Counter(label: "signet_tsa_responses_total", dimensions: [("status", "rate_limited")])
    /// OCSP tryLater answers by cause, beside the status count.
    let ocspBusy = Counter(label: "signet_ocsp_refusals_total", dimensions: [("reason", "hsm_busy")])
    let ocspRateLimited = Counter(label: "signet_ocsp_refusals_total", dimensions: [("reason", "rate_limited")])

    init() {
        let names: [OCSPResponseStatus: String] = [
            .successful: "successful", .malformedRequest: "malformedRequest", .internalError: "internalError",
            .tryLater: "tryLater", .sigRequired: "sigRequired", .unauthorized: "unauthorized",
        ]
        ocsp = Dictionary(uniqueKeysWithValues: OCSPResponseStatus.allCases.map {
            ($0.rawValue, Counter(label: "signet_ocsp_responses_total", dimensions: [("status", names[$0] ?? "\($0.rawValue)")]))
        })
    }

    func ocspAnswered(_ status: OCSPResponseStatus) { ocsp[status.rawValue]?.increment() }
}
