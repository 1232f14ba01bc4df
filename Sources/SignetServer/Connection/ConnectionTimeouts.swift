import HTTPTypes
import Metrics
import NIOCore
import NIOHTTPTypes

/// Closes connections that hold the server's resources without using them:
///
/// - **header timeout**: a request's header block must be complete within `header` of its first
///   byte, and a new connection's first request within `header` of the connection opening, however
///   slowly the bytes trickle in (slowloris) and whether or not any come (a TLS handshake included);
/// - **body timeout**: its body must be complete within `body` of the header block;
/// - **idle timeout**: a keep-alive connection with no request in progress is closed after `idle`,
///   and so is one whose client has stopped reading its responses for that long.
///
/// The time the server itself takes to answer is never counted. A connection timed out while
/// reading a request gets 408 (`request_timeout`) before it is closed when no response is pending
/// on it; one that was idle is just closed, as HTTP/1.1 allows (RFC 9112 §9.5).
///
/// Timers are lazy so that a busy connection costs no timer work per request: state changes only
/// move a deadline, and the one scheduled check, when it fires, closes the connection if the current
/// deadline has passed or sleeps until it. A new check is scheduled only when a deadline comes
/// earlier than the pending one. Deadlines are re-evaluated once per socket read, after the decoder
/// has produced whatever that read completed, so a request that arrives whole moves no timer at all.
final class ConnectionTimeouts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The three limits.
    struct Limits: Sendable, Equatable {
        var header: TimeAmount
        var body: TimeAmount
        var idle: TimeAmount
    }

    /// Connections closed by each timeout (`/metrics`).
    struct Counters: Sendable {
        let header = Counter(label: "signet_connection_timeouts_total", dimensions: [("timeout", "header")])
        let body = Counter(label: "signet_connection_timeouts_total", dimensions: [("timeout", "body")])
        let idle = Counter(label: "signet_connection_timeouts_total", dimensions: [("timeout", "idle")])
    }

    private enum Reading {
        /// No part of a request is being read.
        case none
        /// Bytes of a header block came; it must be complete by the deadline.
        case head(NIODeadline)
        /// The header block came; the body must be complete by the deadline.
        case body(NIODeadline)
    }

    private let limits: Limits
    private let counters: Counters
    private var reading = Reading.none
    /// Requests read completely whose response has not been written completely.
    private var inFlight = 0
    /// When a connection with nothing in progress times out (set when it became idle).
    private var idleDeadline: NIODeadline
    /// Since when the client has not been reading what the server writes.
    private var stalledSince: NIODeadline?
    /// Parts the decoder produced since the last read completed.
    private var partsThisRead = 0
    private var check: Scheduled<Void>?
    private var checkAt: NIODeadline?

    init(limits: Limits, counters: Counters) {
        self.limits = limits
        self.counters = counters
        // Until the first request: the header timeout, so a connection that sends nothing goes quickly.
        self.idleDeadline = .now() + limits.header
    }

    func handlerAdded(context: ChannelHandlerContext) {
        idleDeadline = .now() + limits.header
        reevaluate(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partsThisRead += 1
        switch unwrapInboundIn(data) {
        case .head: reading = .body(.now() + limits.body)
        case .body: break
        case .end:
            reading = .none
            inFlight += 1
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if partsThisRead == 0, case .none = reading {
            // Bytes arrived and the decoder holds them without a complete header block yet.
            reading = .head(.now() + limits.header)
        }
        partsThisRead = 0
        reevaluate(context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight = max(0, inFlight - 1)
            if inFlight == 0 {
                idleDeadline = .now() + limits.idle
                reevaluate(context)
            }
        }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        stalledSince = context.channel.isWritable ? nil : .now()
        reevaluate(context)
        context.fireChannelWritabilityChanged()
    }

    /// The deadline that applies now, if any.
    private var deadline: NIODeadline? {
        switch reading {
        case .head(let deadline), .body(let deadline): return deadline
        case .none:
            if inFlight == 0 { return idleDeadline }
            return stalledSince.map { $0 + limits.idle }
        }
    }

    /// Schedules a check at the current deadline unless one is due no later.
    private func reevaluate(_ context: ChannelHandlerContext) {
        guard let deadline, checkAt == nil || deadline < checkAt! else { return }
        check?.cancel()
        checkAt = deadline
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.fire(context)
        }
    }

    private func fire(_ context: ChannelHandlerContext) {
        check = nil
        checkAt = nil
        guard let deadline else { return }
        guard NIODeadline.now() >= deadline else {
            reevaluate(context)
            return
        }
        switch reading {
        case .head, .body:
            if case .head = reading { counters.header.increment() } else { counters.body.increment() }
            if inFlight == 0 {
                let body = #"{"error":{"code":"request_timeout","message":"The request was not received in time; send it at once on a new connection"}}"#
                let fields: HTTPFields = [
                    .contentType: "application/json", .contentLength: String(body.utf8.count), .connection: "close", .server: "signet",
                ]
                context.write(wrapOutboundOut(.head(HTTPResponse(status: .requestTimeout, headerFields: fields))), promise: nil)
                context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        case .none:
            counters.idle.increment()
        }
        context.close(promise: nil)
    }
}
