import Hummingbird
import SignetCore

/// `POST /tsa`: RFC 3161 over HTTP (§3.4): `application/timestamp-query` in,
/// `application/timestamp-reply` out. Refusals are `TimeStampResp` rejections with a failInfo,
/// never bare HTTP errors.
struct TimestampController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .post, "/tsa", timestamp)
    }

    @Sendable func timestamp(_ request: Request, context: SignetRequestContext) async throws -> Response {
        var request = request
        let reply: [UInt8]
        do {
            let body = Array(buffer: try await request.collectBody(upTo: TimestampAuthority.maximumRequestSize))
            reply = await services.timestamping.respond(to: body)
        } catch {
            reply = TimestampAuthority.oversizedRequestRejection  // refused in the protocol
        }
        return JSONBody.bytes(reply, contentType: "application/timestamp-reply", extra: [.cacheControl: "no-store"])
    }
}
