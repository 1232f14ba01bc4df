import HTTPTypes
import Hummingbird
import Logging
import SignetCore

/// Outermost middleware: logs requests (``RequestLog``: method, path, status, time; never headers or bodies),
/// gives every response the request id header, turns every error (including
/// Hummingbird's own 404/413) into the JSON error shape, and logs failures with their detail.
/// It never lets an error escape as a bodiless 500.
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
        RequestLog.write(context.logger, method: request.method, path: request.uri.path, status: response.status, started: started, sampler: sampler)
        return response
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
