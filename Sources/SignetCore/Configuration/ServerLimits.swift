/// How `signet serve` protects itself from clients: timeouts for slow and idle connections, a cap
/// on open connections, the per-client rate limit on signatures, the HSM signing queue's length and
/// how much of the public protocol traffic is logged. Defaults are the table in README's "The server
/// protects itself"; config.yaml's `server:` block (``SignetConfig/Server``) and `signet serve`'s
/// flags override them, resolved and checked in one place (``SignetConfig/Server/limits()``).
public struct ServerLimits: Sendable, Equatable {
    /// A request's header block must arrive within this of its first byte (a new connection's first
    /// request, within this of the connection opening).
    public var headerTimeout: Duration
    /// A request's body must arrive within this of its header block.
    public var bodyTimeout: Duration
    /// A keep-alive connection with nothing in progress is closed after this.
    public var idleTimeout: Duration
    /// Connections open at once; more are answered 503 and closed.
    public var maxConnections: Int
    /// One successful protocol answer in this many gets a request line in the log (1: all, 0: none).
    public var logSample: Int
    /// Per client address, the anonymous requests that cost a signature.
    public var signingRate: ClientRateLimiter.Policy
    /// Signatures that may wait for an HSM session before requests are refused with `hsm_busy`.
    public var signingQueue: Int

    public init(headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
                maxConnections: Int = 1000, logSample: Int = 100, signingRate: ClientRateLimiter.Policy = .standard,
                signingQueue: Int = SigningQueue.Settings.standard.capacity) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.logSample = logSample
        self.signingRate = signingRate
        self.signingQueue = signingQueue
    }
}
