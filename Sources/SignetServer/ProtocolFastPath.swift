import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import SignetCore

/// Answers the relying parties' hottest question — an OCSP request asked before — on the
/// connection's event loop, without handing it to the async router.
///
/// Every request through the router costs two thread hops (event loop → task → event loop) and the
/// middleware chain; for a pre-signed OCSP answer that is most of the work. This handler sits in the
/// channel pipeline just after HTTP decoding. It collects `POST /ocsp` and `GET /ocsp/<request>`, asks
/// the responder for an answer that needs no I/O and no signature (``OCSPResponder/immediateAnswer(to:)``),
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
        /// An OCSP request being collected; `overflow` once the body passed the size limit.
        case collecting(head: HTTPRequest, body: ByteBuffer?, overflow: Bool)
    }

    private let services: SignetServices
    private let logger: Logger
    private let answered: Counter
    private var state = State.idle
    /// Requests handed to the router whose response has not been written completely.
    private var routerPending = 0
    /// The caching headers of the last cacheable answer on this connection; max-age counts down, so
    /// they are reused for at most a second.
    private var cacheableHeaders: (der: [UInt8], formattedAt: Date, fields: HTTPFields)?
    private var dateSecond = 0
    private var dateHeader = ""

    init(services: SignetServices, logger: Logger, answered: Counter) {
        self.services = services
        self.logger = logger
        self.answered = answered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let head)):
            if routerPending == 0, Self.isOCSP(head) {
                state = .collecting(head: head, body: nil, overflow: false)
            } else {
                pass(context, part)
                state = .passing
            }
        case (.collecting(let head, var body, var overflow), .body(var chunk)):
            state = .idle  // drop the reference while appending, so the buffer is not copied
            if overflow || (body?.readableBytes ?? 0) + chunk.readableBytes > RevocationController.maximumRequestSize {
                overflow = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            state = .collecting(head: head, body: body, overflow: overflow)
        case (.collecting(let head, let body, let overflow), .end(let trailers)):
            state = .idle
            let started = ContinuousClock.now
            if let answer = overflow ? nil : immediateAnswer(head, body) {
                respond(context, to: head, answer, started: started)
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

    static func isOCSP(_ head: HTTPRequest) -> Bool {
        guard let path = head.path else { return false }
        switch head.method {
        case .post: return path == "/ocsp"
        case .get: return path.utf8.starts(with: "/ocsp/".utf8) && !path.utf8.contains(UInt8(ascii: "?"))
        default: return false
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
            guard encoded.utf8.count <= RevocationController.maximumRequestSize * 2,
                  let decoded = RevocationController.decodeGETRequest(String(encoded)) else { return nil }
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
        fields[.contentLength] = String(answer.der.count)
        let requestID = RequestID().description
        fields[.requestID] = requestID
        fields[.date] = httpDate(Date())
        fields[.server] = "signet"
        let close = head.headerFields[.connection]?.lowercased().contains("close") ?? false
        if close { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: answer.der))), promise: nil)
        if close {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        answered.increment()
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
