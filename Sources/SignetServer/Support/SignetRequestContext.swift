import Hummingbird
import NIOCore
import SignetCore

/// Per-request state: Hummingbird's core context plus the authenticated caller, set by
/// ``AuthMiddleware`` on API routes.
public struct SignetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The token the caller presented, by public id, for the audit trail.
    public var tokenID: String?
    /// The connection, kept so the client's address is read only when it is needed (a failed login).
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The client's IP address, or "unknown" (in-process tests have no socket).
    var clientAddress: String {
        channel?.remoteAddress?.ipAddress ?? "unknown"
    }

    /// API bodies are small JSON documents; CSRs are a few KiB.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The authenticated principal; API handlers run behind ``AuthMiddleware`` so it is always set.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw SignetError(.unauthenticated, "Authentication required: send Authorization: Bearer <token>") }
        return principal
    }
}
