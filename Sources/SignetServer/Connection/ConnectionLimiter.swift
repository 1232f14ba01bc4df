import HTTPTypes
import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Caps the connections the server holds open at once. Each connection costs a file descriptor,
/// buffers and a task; without a cap, a client that opens connections faster than the timeouts
/// close them runs the process out of descriptors, and then nobody is served. A connection beyond
/// the cap is answered at once with 503 (`Connection: close`, Retry-After) and closed, so the
/// client learns why instead of waiting in the listen backlog, and the connections already open
/// keep being served.
///
/// One instance per connection (Hummingbird builds the channel handlers for each), all sharing one
/// ``Count``.
final class ConnectionLimiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// The connections open now, shared by every connection's limiter.
    final class Count: Sendable {
        let maximum: Int
        private let open = Atomic<Int>(0)
        let gauge = Gauge(label: "signet_connections_open")
        let refused = Counter(label: "signet_connections_refused_total")

        init(maximum: Int) { self.maximum = max(1, maximum) }

        /// Counts a new connection; false (and not counted) when the cap is reached.
        func tryOpen() -> Bool {
            let now = open.wrappingAdd(1, ordering: .relaxed).newValue
            if now > maximum {
                open.wrappingSubtract(1, ordering: .relaxed)
                refused.increment()
                return false
            }
            gauge.record(now)
            return true
        }

        func close() {
            gauge.record(open.wrappingSubtract(1, ordering: .relaxed).newValue)
        }

        var current: Int { open.load(ordering: .relaxed) }
    }

    private let count: Count
    private var counted = false

    init(count: Count) { self.count = count }

    func channelActive(context: ChannelHandlerContext) {
        counted = count.tryOpen()
        context.fireChannelActive()
        guard !counted else { return }
        // Over the cap: say so and hang up, before reading anything.
        let body = #"{"error":{"code":"too_many_connections","message":"The server holds its maximum of \#(count.maximum) connections; try again shortly"}}"#
        let fields: HTTPFields = [
            .contentType: "application/json", .contentLength: String(body.utf8.count), .connection: "close", .retryAfter: "1", .server: "signet",
        ]
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            count.close()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's requests go nowhere; it is closing.
        if counted { context.fireChannelRead(data) }
    }
}
