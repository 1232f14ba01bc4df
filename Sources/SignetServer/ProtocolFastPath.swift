import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import SignetCore

/// Answers the public DER protocols — a repeated OCSP question, an RFC 3161 time-stamp — on the
/// connection's event loop, without handing them to the async router.
///
/// Every request through the router costs two thread hops (event loop → task → event loop) and the
/// middleware chain; for a pre-signed OCSP answer, or a token that is one HSM signature, that is most
/// of the work. This handler sits in the channel pipeline just after HTTP decoding. It collects
/// `POST /ocsp`, `GET /ocsp/<request>` and `POST /tsa`, asks the responder for an answer that needs no
/// store I/O (``OCSPResponder/immediateAnswer(to:)``, ``TimestampAuthority/immediateResponse(to:)``),
/// and writes it with the same headers the router would; anything else, and any request it cannot
/// answer at once, is passed up the pipeline unchanged, so the router stays the one place behaviour is
/// defined. Responses keep the order of requests on a connection: while a request handed to the router
/// is unanswered, every later request goes to the router too.
final class ProtocolFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What the handler is doing with the current request.
    private enum State {
        case idle
        /// The request is the router's; its parts are passed on as they come.
        case passing
        /// A protocol request being collected; `overflow` once the body passed the size limit.
        case collecting(route: Route, head: HTTPRequest, body: ByteBuffer?, overflow: Bool)
    }

    /// The requests this handler may answer.
    enum Route {
        case ocspPost, ocspGet, timestamp

        var maximumBody: Int {
            self == .timestamp ? TimestampAuthority.maximumRequestSize : RevocationController.maximumRequestSize
        }
    }

    /// The headers of a time-stamp reply, as ``TimestampController`` writes them.
    static let timestampReplyFields: HTTPFields = [.contentType: "application/timestamp-reply", .cacheControl: "no-store"]

    /// Fast-path answers written, by protocol (`/metrics`).
    struct Counters: Sendable {
        let ocsp = Counter(label: "signet_fast_path_responses_total", dimensions: [("protocol", "ocsp")])
        let timestamp = Counter(label: "signet_fast_path_responses_total", dimensions: [("protocol", "tsa")])
    }

    private let services: SignetServices
    private let logger: Logger
    private let answered: Counters
    private var state = State.idle
    /// Requests handed to the router whose response has not been written completely.
    private var routerPending = 0
    /// The caching headers of the last cacheable answer on this connection; max-age counts down, so
    /// they are reused for at most a second.
    private var cacheableHeaders: (der: [UInt8], formattedAt: Date, fields: HTTPFields)?
    private var dateSecond = 0
    private var dateHeader = ""

    init(services: SignetServices, logger: Logger, answered: Counters) {
        self.services = services
        self.logger = logger
        self.answered = answered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let head)):
            if routerPending == 0, let route = Self.route(head) {
                state = .collecting(route: route, head: head, body: nil, overflow: false)
            } else {
                pass(context, part)
                state = .passing
            }
        case (.collecting(let route, let head, var body, var overflow), .body(var chunk)):
            state = .idle  // drop the reference while appending, so the buffer is not copied
            if overflow || (body?.readableBytes ?? 0) + chunk.readableBytes > route.maximumBody {
                overflow = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            state = .collecting(route: route, head: head, body: body, overflow: overflow)
        case (.collecting(let route, let head, let body, let overflow), .end(let trailers)):
            state = .idle
            let started = ContinuousClock.now
            if overflow && route == .timestamp {
                // Refused in the protocol, as the router does: the TSA's own size check answers.
                write(context, to: head, TimestampAuthority.oversizedRequestRejection,
                      fields: Self.timestampReplyFields, started: started)
            } else if overflow {
                // The router answers an empty OCSP request with malformedRequest, as it does an oversized one.
                pass(context, .head(head))
                pass(context, .end(trailers))
            } else if route == .timestamp, let body, let reply = services.timestamping.immediateResponse(to: Array(buffer: body)) {
                write(context, to: head, reply, fields: Self.timestampReplyFields, started: started)
                answered.timestamp.increment()
            } else if route != .timestamp, let answer = immediateAnswer(head, body) {
                respond(context, to: head, answer, started: started)
                answered.ocsp.increment()
            } else {
                // Not answerable without I/O (or malformed): the router decides, with the same bytes.
                pass(context, .head(head))
                if let body { pass(context, .body(body)) }
                pass(context, .end(trailers))
            }
        case (.passing, .end):
            pass(context, part)
            state = .idle
        case (.passing, _):
            pass(context, part)
        default:
            // Out-of-order parts cannot come from NIO's decoder; let the router report them.
            pass(context, part)
            state = .passing
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { routerPending = max(0, routerPending - 1) }
        context.write(data, promise: promise)
    }

    private func pass(_ context: ChannelHandlerContext, _ part: HTTPRequestPart) {
        if case .head = part { routerPending += 1 }
        context.fireChannelRead(wrapInboundOut(part))
    }

    static func route(_ head: HTTPRequest) -> Route? {
        guard let path = head.path else { return nil }
        switch head.method {
        case .post where path == "/ocsp": return .ocspPost
        case .post where path == "/tsa": return .timestamp
        case .get where path.utf8.starts(with: "/ocsp/".utf8) && !path.utf8.contains(UInt8(ascii: "?")): return .ocspGet
        default: return nil
        }
    }

    /// The responder's cached answer, or `nil` for the router to handle.
    private func immediateAnswer(_ head: HTTPRequest, _ body: ByteBuffer?) -> OCSPResponder.Answer? {
        let der: [UInt8]
        if head.method == .post {
            guard let body, body.readableBytes > 0 else { return nil }
            der = Array(buffer: body)
        } else {
            guard body == nil, let path = head.path else { return nil }
            let encoded = path.dropFirst("/ocsp/".count)
            guard let decoded = OCSPGETRequest.decode(encoded) else { return nil }
            der = decoded
        }
        return services.revocation.responder.immediateAnswer(to: der)
    }

    private func respond(_ context: ChannelHandlerContext, to head: HTTPRequest, _ answer: OCSPResponder.Answer, started: ContinuousClock.Instant) {
        let now = services.clock.now()
        var fields: HTTPFields
        if head.method == .get && answer.cacheable {
            // The same answer is asked for many times: its Last-Modified, Expires and ETag are formatted once.
            if let memo = cacheableHeaders, memo.der == answer.der, now.timeIntervalSince(memo.formattedAt) < 1 {
                fields = memo.fields
            } else {
                fields = RevocationController.ocspHeaders(answer, cache: true, now: now)
                cacheableHeaders = (answer.der, now, fields)
            }
        } else {
            fields = RevocationController.ocspHeaders(answer, cache: false, now: now)
        }
        fields[.contentType] = "application/ocsp-response"
        write(context, to: head, answer.der, fields: fields, started: started)
    }

    /// Writes a 200 response with `body`, the router's common headers, and `Connection: close` honoured.
    private func write(_ context: ChannelHandlerContext, to head: HTTPRequest, _ body: [UInt8], fields: HTTPFields, started: ContinuousClock.Instant) {
        var fields = fields
        fields[.contentLength] = String(body.count)
        let requestID = RequestID().description
        fields[.requestID] = requestID
        fields[.date] = httpDate(Date())
        fields[.server] = "signet"
        let close = head.headerFields[.connection]?.lowercased().contains("close") ?? false
        if close { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        if close {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        if logger.logLevel <= .info {
            let elapsed = ContinuousClock.now - started
            var logger = logger
            logger[metadataKey: "hb.request.id"] = "\(requestID)"
            logger.info("request", metadata: [
                "method": "\(head.method.rawValue)", "path": "\(head.path ?? "")", "status": "200",
                "ms": "\(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)",
            ])
        }
    }

    /// The Date header, formatted once per second per connection.
    private func httpDate(_ now: Date) -> String {
        let second = Int(now.timeIntervalSince1970)
        if second != dateSecond {
            dateSecond = second
            dateHeader = HTTPDate.format(now)
        }
        return dateHeader
    }
}
