import Hummingbird
import SignetCore

/// Per-request state: Hummingbird's core context plus the authenticated caller, set by
/// ``AuthMiddleware`` on API routes.
public struct SignetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The token the caller presented, by public id, for the audit trail.
    public var tokenID: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// API bodies are small JSON documents; CSRs are a few KiB.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The authenticated principal; API handlers run behind ``AuthMiddleware`` so it is always set.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw SignetError(.unauthenticated, "Authentication required: send Authorization: Bearer <token>") }
        return principal
    }
}
