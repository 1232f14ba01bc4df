import Hummingbird
import SignetCore

/// `POST /tsa`: RFC 3161 over HTTP (§3.4): `application/timestamp-query` in,
/// `application/timestamp-reply` out. Refusals are `TimeStampResp` rejections with a failInfo,
/// never bare HTTP errors; a refusal for load (the client over its allowance, the HSM's queue full)
/// is a systemFailure rejection sent with HTTP 429 or 503 and Retry-After.
struct TimestampController {
    let services: SignetServices
    let metrics: ProtocolMetrics

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .post, "/tsa", timestamp)
    }

    @Sendable func timestamp(_ request: Request, context: SignetRequestContext) async throws -> Response {
        var request = request
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.collectBody(upTo: TimestampAuthority.maximumRequestSize))
        } catch {
            context.logger.info("tsa refused", metadata: ["reason": "request too large"])
            return ProtocolAnswer.oversizedTimestampQuery(metrics: metrics).response
        }
        let limiter = services.signingRateLimiter, clock = services.clock, client = context.clientAddress
        let reply = await services.timestamping.respond(to: body, beforeSigning: { try limiter.check(client, at: clock.now()) })
        if !reply.granted {
            context.logger.info("tsa refused", metadata: ["reason": "\(reply.refusal?.reason ?? "rejection")"])
        }
        return ProtocolAnswer.timestamp(reply, metrics: metrics).response
    }
}
