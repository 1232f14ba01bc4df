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
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.collectBody(upTo: TimestampAuthority.maximumRequestSize))
        } catch {
            body = [UInt8](repeating: 0, count: TimestampAuthority.maximumRequestSize + 1)  // refused as too large, in the protocol
        }
        let reply = await services.timestamping.respond(to: body)
        return JSONBody.bytes(reply, contentType: "application/timestamp-reply", extra: [.cacheControl: "no-store"])
    }
}
