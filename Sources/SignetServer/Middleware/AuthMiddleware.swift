import Hummingbird
import SignetCore

/// Bearer-token authentication for `/api/v1`. A missing, unknown, revoked or expired token is a 401
/// and an `auth.fail` audit entry (with the token's public id when it has one, never the secret).
/// Past ``AuthFailureThrottle``'s allowance for the client's address a failure is a 429 instead, and
/// only the first of a throttled spell is audited (`auth.throttle`); valid tokens are never throttled.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext
    let services: SignetServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], let presented = BearerCredential.parse(authorization: header) else {
            throw SignetError(.unauthenticated, "Authentication required: send Authorization: Bearer <token>")
        }
        let record: APITokenRecord
        do {
            record = try await services.tokens.authenticate(presented)
        } catch let error as SignetError where error.code == .unauthenticated {
            let now = services.clock.now()
            let client = context.clientAddress
            let verdict = services.authThrottle.recordFailure(from: client, at: now)
            var details = ["reason": error.reason, "path": String(request.uri.path.prefix(256)), "request_id": context.id, "client": client]
            switch verdict {
            case .audit:
                try? await services.repository.append(AuditEvent(
                    time: now, actor: "anonymous", role: nil, action: AuditAction.authFail,
                    target: APITokens.publicID(of: presented), outcome: .refused, details: details))
                throw error
            case .throttled(let retryAfter, let startsSpell):
                if startsSpell {
                    details["reason"] = "More than \(services.authThrottle.policy.burst) failed authentications; further failures from \(client) are refused with 429 and not audited one by one"
                    try? await services.repository.append(AuditEvent(
                        time: now, actor: "anonymous", role: nil, action: AuditAction.authThrottle,
                        target: client, outcome: .refused, details: details))
                }
                var response = try APIError(
                    status: .tooManyRequests, code: "rate_limited",
                    message: "Too many failed authentications from this address; retry in \(retryAfter) s with a valid token"
                ).response(from: request, context: context)
                response.headers[.retryAfter] = "\(retryAfter)"
                return response
            }
        }
        var context = context
        context.principal = record.principal
        context.tokenID = record.id
        context.logger[metadataKey: "principal"] = "\(record.name)"
        return try await next(request, context)
    }
}
