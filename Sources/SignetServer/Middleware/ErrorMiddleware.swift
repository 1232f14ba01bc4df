import HTTPTypes
import Hummingbird
import Logging
import SignetCore

/// Outermost middleware: logs requests (method, path, status, time; never headers or bodies),
/// gives every response the request id header, turns every error (including
/// Hummingbird's own 404/413) into the JSON error shape, and logs failures with their detail.
/// It never lets an error escape as a bodiless 500. Successful answers on the public protocol
/// endpoints are logged one in ``ProtocolLogSampler/interval``; every other request is logged.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext
    let sampler: ProtocolLogSampler

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError(error, requestID: context.id)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            } else {
                context.logger.info("request refused", metadata: ["status": "\(apiError.status.code)", "code": "\(apiError.code)", "reason": "\(apiError.message)"])
            }
            response = try apiError.response(from: request, context: context)
        }
        response.headers[.requestID] = context.id
        guard context.logger.logLevel <= .info else { return response }
        let path = request.uri.path
        let sampled = response.status.code < 400 && ProtocolLogSampler.isProtocolPath(path)
        if sampled && !sampler.take() { return response }
        let elapsed = ContinuousClock.now - started
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(path)", "status": "\(response.status.code)",
            "ms": "\(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)",
        ]
        if sampled && sampler.interval > 1 { metadata["sampled"] = "1/\(sampler.interval)" }
        context.logger.info("request", metadata: metadata)
        return response
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
