import Hummingbird
import SignetCore

/// Bearer-token authentication for `/api/v1`. A missing, unknown, revoked or expired token is a 401
/// and an `auth.fail` audit entry (with the token's public id when it has one, never the secret).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext
    let services: SignetServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw SignetError(.unauthenticated, "Authentication required: send Authorization: Bearer <token>")
        }
        let presented = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let record: APITokenRecord
        do {
            record = try await services.tokens.authenticate(presented)
        } catch let error as SignetError where error.code == .unauthenticated {
            try? await services.repository.append(AuditEvent(
                time: services.clock.now(), actor: "anonymous", role: nil, action: AuditAction.authFail,
                target: APITokens.publicID(of: presented), outcome: .refused,
                details: ["reason": error.reason, "path": request.uri.path, "request_id": context.id]))
            throw error
        }
        var context = context
        context.principal = record.principal
        context.tokenID = record.id
        context.logger[metadataKey: "principal"] = "\(record.name)"
        return try await next(request, context)
    }
}
