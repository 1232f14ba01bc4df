import HTTPTypes
import Logging

/// The request log line, written for every request by ``ErrorMiddleware`` (router) and by
/// ``ProtocolFastPath`` (answers it writes itself), so both paths log the same fields the same way:
/// method, path, status, milliseconds — never headers or bodies. Successful answers on the public
/// protocol endpoints are sampled (``ProtocolLogSampler``); failures and API requests always logged.
enum RequestLog {
    static func write(_ logger: Logger, method: HTTPRequest.Method, path: String, status: HTTPResponse.Status, started: ContinuousClock.Instant,
                      sampler: ProtocolLogSampler, failure: String? = nil, requestID: String? = nil) {
        guard logger.logLevel <= .info else { return }
        let sampled = failure == nil && status.code < 400 && ProtocolLogSampler.isProtocolPath(path)
        if sampled && !sampler.take() { return }
        let elapsed = ContinuousClock.now - started
        var metadata: Logger.Metadata = [
            "method": "\(method.rawValue)", "path": "\(path)", "status": "\(status.code)",
            "ms": "\(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)",
        ]
        if let requestID { metadata["hb.request.id"] = "\(requestID)" }
        if let failure { metadata["outcome"] = "\(failure)" }
        if sampled && sampler.interval > 1 { metadata["sampled"] = "1/\(sampler.interval)" }
        logger.info("request", metadata: metadata)
    }
}
