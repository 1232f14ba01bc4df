import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SignetCore

/// `GET /api/v1/audit` and `GET /api/v1/inventory`, for admins and auditors.
struct AuditController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .get, "/api/v1/audit", audit)
        table.add(router, .get, "/api/v1/inventory", inventory)
    }

    struct AuditBody: Encodable {
        struct Entry: Encodable {
            let sequence: Int64
            let time: Date
            let actor: String
            let role: String?
            let action: String
            let target: String?
            let outcome: String
            let details: [String: String]
            let hash: String
        }
        let entries: [Entry]
        let next: Int64?
    }

    @Sendable func audit(_ request: Request, context: SignetRequestContext) async throws -> Response {
        try AccessPolicy.checkAudit(try context.requirePrincipal())
        let query = try AuditQuery(parameters: request.queryPairs, now: services.clock.now())
        let entries = try await services.repository.auditEntries(query)
        return try JSONBody.response(AuditBody(entries: entries.map {
            .init(sequence: $0.sequence, time: $0.event.time, actor: $0.event.actor, role: $0.event.role, action: $0.event.action,
                  target: $0.event.target, outcome: $0.event.outcome.rawValue, details: $0.event.details, hash: $0.hash)
        }, next: entries.count == query.limit ? entries.last?.sequence : nil))
    }

    @Sendable func inventory(_ request: Request, context: SignetRequestContext) async throws -> Response {
        try AccessPolicy.checkAudit(try context.requirePrincipal())
        let parameters = try QueryParameters(request.queryPairs, allowed: ["expiring_within"])
        let within = try parameters.duration("expiring_within") ?? .days(7)
        return try JSONBody.response(try await Inventory.collect(ca: services.ca, counts: services.repository, expiringWithin: within))
    }
}

/// Signs an audit checkpoint every interval: over the newest entry, and again over the same entry
/// when nothing new was logged, so the checkpoint's (and the token anchor's) time keeps moving and
/// `signet audit verify` can tell a live server from one that stopped checkpointing. The serve
/// command signs one before the server is announced, so the first interval starts fresh.
struct AuditCheckpointService: Service {
    let services: SignetServices
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let system = Principal(name: "signet-audit", role: .admin, team: nil)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                _ = try await services.trail.checkpoint(by: system, refresh: true)
            } catch {
                BackgroundFailure.record("audit_checkpoint", error, logger: logger)
            }
        }
        // A last checkpoint on the way out, in a task of its own: the service group cancels this one
        // once the HTTP server has stopped, and a cancelled store call would skip the checkpoint.
        let trail = services.trail, logger = self.logger
        await Task {
            do {
                _ = try await trail.checkpoint(by: system)
            } catch {
                BackgroundFailure.record("audit_checkpoint_final", error, logger: logger)
            }
        }.value
    }
}
