import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import SignetCore
import SignetWire

/// Answers the public DER protocols — a repeated OCSP question, an RFC 3161 time-stamp — from the
/// connection's event loop, without handing them to the async router.
///
/// Every request through the router costs two thread hops (event loop → task → event loop) and the
/// middleware chain; for a pre-signed OCSP answer, or a token that is one HSM signature, that is most
/// of the work. This handler sits in the channel pipeline just after HTTP decoding. It collects
/// `POST /ocsp`, `GET /ocsp/<request>` and `POST /tsa`:
///
/// - an OCSP question asked before in the same bytes is answered from the responder's cache
///   (``OCSPResponder/immediateAnswer(to:)``), no I/O and no signature;
/// - a time-stamp query is checked on the loop (``TimestampAuthority/admit(_:)``), counted against
///   the client's allowance (``ClientRateLimiter``, 429 past it), given a serial reserved ahead, and
///   signed on the CA's ``SigningQueue``: the event loop never calls the HSM, so a slow or saturated
///   token never stalls the other connections on the loop. A full queue is refused at once (503).
///
/// Anything else, and any request it cannot answer without the store, is passed up the pipeline
/// unchanged, so the router stays the one place behaviour is defined. Responses keep the order of
/// requests on a connection: while a request handed to the router is unanswered, every later request
/// goes to the router too; while a token is being signed, later requests wait here (and the socket is
/// not read) until it is written.
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

        /// The router's name for the route, under which its request metrics are recorded.
        var routerPath: String {
            switch self {
            case .ocspPost: return "/ocsp"
            case .ocspGet: return "/ocsp/**"
            case .timestamp: return "/tsa"
            }
        }
    }

    /// What every connection's handler shares; `sampler` and `metrics` are the router's own, so both
    /// paths sample one log and count into one set of counters.
    struct Shared: Sendable {
        let services: SignetServices
        let logger: Logger
        let sampler: ProtocolLogSampler
        let metrics: ProtocolMetrics
        /// The router's request metrics, recorded for the answers written here.
        let requests = RequestMetrics()
        /// Fast-path answers written, by protocol (`/metrics`).
        let ocspAnswered = Counter(label: "signet_fast_path_responses_total", dimensions: [("protocol", "ocsp")])
        let timestampAnswered = Counter(label: "signet_fast_path_responses_total", dimensions: [("protocol", "tsa")])
    }

    private let shared: Shared
    private var services: SignetServices { shared.services }
    private var state = State.idle
    /// Requests handed to the router whose response has not been written completely.
    private var routerPending = 0
    /// A token is being signed on the signing queue; its response comes before anything later.
    private var signing = false
    /// Parts that arrived while a token was being signed, replayed in order once it is written.
    private var deferred: [HTTPRequestPart] = []
    /// A read the channel asked for while a token was being signed, issued once it is written.
    private var readHeld = false
    private var removed = false
    /// The client's address, read once per connection, for its rate-limit bucket.
    private var client: String?
    /// The caching headers of the last cacheable answer on this connection; max-age counts down, so
    /// they are reused for at most a second.
    private var cacheableHeaders: (der: [UInt8], formattedAt: Date, fields: HTTPFields)?
    private var dateSecond = 0
    private var dateHeader = ""

    init(shared: Shared) {
        self.shared = shared
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        deferred = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(context, unwrapInboundIn(data))
    }

    private func receive(_ context: ChannelHandlerContext, _ part: HTTPRequestPart) {
        if signing {
            deferred.append(part)
            return
        }
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
                shared.timestampAnswered.increment()
                write(context, to: head, route, ProtocolAnswer.oversizedTimestampQuery(metrics: shared.metrics), started: started)
            } else if overflow {
                // The router answers an empty OCSP request with malformedRequest, as it does an oversized one.
                passRequest(context, head, nil, trailers)
            } else if route == .timestamp, let body {
                timestamp(context, head, body, trailers, started: started)
            } else if route != .timestamp, let answer = immediateAnswer(head, body) {
                shared.ocspAnswered.increment()
                respond(context, to: head, route, answer, started: started)
            } else {
                // Not answerable without I/O (or malformed): the router decides, with the same bytes.
                passRequest(context, head, body, trailers)
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

    func read(context: ChannelHandlerContext) {
        // While a token is being signed nothing more is read, so pipelined requests cannot pile up here.
        if signing {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func pass(_ context: ChannelHandlerContext, _ part: HTTPRequestPart) {
        if case .head = part { routerPending += 1 }
        context.fireChannelRead(wrapInboundOut(part))
    }

    private func passRequest(_ context: ChannelHandlerContext, _ head: HTTPRequest, _ body: ByteBuffer?, _ trailers: HTTPFields?) {
        pass(context, .head(head))
        if let body { pass(context, .body(body)) }
        pass(context, .end(trailers))
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

    // MARK: Time-stamps

    /// Checks the query here, then signs it on the signing queue and writes the reply when it is back.
    private func timestamp(_ context: ChannelHandlerContext, _ head: HTTPRequest, _ body: ByteBuffer, _ trailers: HTTPFields?, started: ContinuousClock.Instant) {
        let tsa = services.timestamping
        let request: TimeStampReq
        switch tsa.admit(Array(buffer: body)) {
        case .rejected(let rejection):
            shared.timestampAnswered.increment()
            write(context, to: head, .timestamp, ProtocolAnswer.timestampRejection(rejection, metrics: shared.metrics), started: started)
            return
        case .accepted(let accepted):
            request = accepted
        }
        // The serial first: when the reserve is empty the router waits for the store, and counts the client there.
        guard let serial = tsa.serials.takeIfAvailable() else {
            passRequest(context, head, body, trailers)
            return
        }
        if client == nil { client = context.channel.remoteAddress?.ipAddress ?? "unknown" }
        do {
            try services.signingRateLimiter.check(client!, at: services.clock.now())
        } catch let refusal as SignetError {
            // The serial is skipped, never reused (RFC 3161 §2.4.2 asks only for uniqueness).
            refuse(context, to: head, refusal, started: started)
            return
        } catch {}
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        signing = true
        let queued = services.ca.signing.trySubmit {
            let reply = tsa.token(for: request, serial: serial)
            loop.execute {
                let (handler, context) = bound.value
                handler.signed(context, head, reply, started: started)
            }
        }
        if !queued {
            signing = false
            refuse(context, to: head, services.ca.signing.busyError, started: started)
        }
    }

    /// Back on the loop with a signed (or failed) token: write it, then carry on with what waited.
    private func signed(_ context: ChannelHandlerContext, _ head: HTTPRequest, _ reply: TimestampAuthority.Reply, started: ContinuousClock.Instant) {
        signing = false
        guard !removed else { return }
        shared.timestampAnswered.increment()
        write(context, to: head, .timestamp, ProtocolAnswer.timestamp(reply, metrics: shared.metrics), started: started)
        let waiting = deferred
        deferred = []
        let routerBefore = routerPending
        for part in waiting { receive(context, part) }
        // Parts passed on outside a read reach the router only with a read-complete.
        if routerPending != routerBefore || !waiting.isEmpty { context.fireChannelReadComplete() }
        if readHeld && !signing {
            readHeld = false
            context.read()
        }
    }

    /// A TSA refusal for load: the rejection in the protocol, with the HTTP status and Retry-After.
    private func refuse(_ context: ChannelHandlerContext, to head: HTTPRequest, _ refusal: SignetError, started: ContinuousClock.Instant) {
        shared.timestampAnswered.increment()
        write(context, to: head, .timestamp, ProtocolAnswer.timestampRefusal(refusal, metrics: shared.metrics), started: started)
    }

    // MARK: OCSP

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

    private func respond(_ context: ChannelHandlerContext, to head: HTTPRequest, _ route: Route, _ answer: OCSPResponder.Answer, started: ContinuousClock.Instant) {
        let now = services.clock.now()
        let caching: HTTPFields
        if head.method == .get && answer.cacheable {
            // The same answer is asked for many times: its Last-Modified, Expires and ETag are formatted once.
            if let memo = cacheableHeaders, memo.der == answer.der, now.timeIntervalSince(memo.formattedAt) < 1 {
                caching = memo.fields
            } else {
                caching = ProtocolAnswer.ocspCachingHeaders(answer, cache: true, now: now)
                cacheableHeaders = (answer.der, now, caching)
            }
        } else {
            caching = ProtocolAnswer.ocspCachingHeaders(answer, cache: false, now: now)
        }
        write(context, to: head, route, ProtocolAnswer.ocsp(answer, caching: caching, metrics: shared.metrics), started: started)
    }

    // MARK: Writing

    /// Writes `answer` with the headers the router adds to every response (request id, Date, Server),
    /// honouring `Connection: close`, then records it in the router's request metrics and log.
    private func write(_ context: ChannelHandlerContext, to head: HTTPRequest, _ route: Route, _ answer: ProtocolAnswer, started: ContinuousClock.Instant) {
        let body = answer.body, status = answer.status
        var fields = answer.fields
        fields[.contentLength] = String(body.count)
        let requestID = RequestID().description
        fields[.requestID] = requestID
        fields[.date] = httpDate(Date())
        fields[.server] = SignetApplication.serverName
        let close = head.headerFields[.connection]?.lowercased().contains("close") ?? false
        if close { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        if close {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        shared.requests.record(route: route.routerPath, method: head.method, status: status, started: started)
        RequestLog.write(shared.logger, method: head.method, path: head.path ?? "", status: status, started: started, sampler: shared.sampler,
                         failure: answer.failure, requestID: requestID)
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
