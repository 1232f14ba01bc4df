import Hummingbird
import SignetCore

/// Bearer authentication for `/api/v1`. The bearer is a Signet token (`sgt_…`), or a CI job's OIDC ID
/// token, verified and matched against `ci-identities.yaml` on the spot (``WorkloadAuthenticator``).
/// A Signet token obtained by exchanging an ID token (`POST /api/v1/auth/oidc`) carries the identity,
/// whose grant is decided again on each use.
///
/// A missing, unknown, revoked or expired token, or an ID token that is refused, is a 401 (403 for a
/// valid ID token no rule admits) and an audit entry (`auth.fail` with the token's public id, or
/// `auth.oidc.refuse` with what the ID token claimed or proved; never the secret). Past
/// ``AuthFailureThrottle``'s allowance for the client's address a failure is a 429 instead, and only
/// the first of a throttled spell is audited (`auth.throttle`); valid tokens are never throttled.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext
    let services: SignetServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], let presented = BearerCredential.parse(authorization: header) else {
            throw SignetError(.unauthenticated, "Authentication required: send Authorization: Bearer <token>")
        }
        var context = context
        if Self.isIDToken(presented) {
            switch try await Self.authenticateIDToken(presented, request: request, context: context, services: services) {
            case .granted(let grant): context.principal = grant.principal
            case .throttled(let response): return response
            }
            context.logger[metadataKey: "principal"] = "\(context.principal?.name ?? "?")"
            return try await next(request, context)
        }
        let record: APITokenRecord
        let principal: Principal
        do {
            record = try await services.tokens.authenticate(presented)
            principal = try exchangedPrincipal(record)
        } catch let error as SignetError where error.code == .unauthenticated || error.code.kind == .unauthenticated || error.code.kind == .forbidden {
            let details = ["request_id": context.id]
            if let response = try await Self.refuse(
                error, action: AuditAction.authFail, target: APITokens.publicID(of: presented), details: details, request: request, context: context, services: services) {
                return response
            }
            throw error
        }
        context.principal = principal
        context.tokenID = record.id
        context.logger[metadataKey: "principal"] = "\(record.name)"
        return try await next(request, context)
    }

    /// The principal of a Signet token; for one exchanged for an ID token, with the grant its identity
    /// has under the current policy.
    func exchangedPrincipal(_ record: APITokenRecord) throws -> Principal {
        guard let identity = record.identity else { return record.principal }
        guard let authenticator = services.identity else {
            throw SignetError(.oidcUnknownIssuer, "Token \(record.id) stands for a CI identity of \(identity.issuer), which this Signet no longer trusts")
        }
        let grant = try authenticator.grant(for: identity)
        return Principal(name: record.name, role: .ci, team: grant.team, workload: grant)
    }

    /// A bearer that is an OIDC ID token rather than a Signet token: a JWS, or anything too long to
    /// be a Signet token (refused as an over-long ID token).
    static func isIDToken(_ presented: String) -> Bool {
        IDTokenVerifier.looksLikeJWT(presented) || (!presented.hasPrefix("sgt_") && presented.utf8.count > IDTokenVerifier.maximumTokenLength)
    }

    enum IDTokenOutcome {
        case granted(WorkloadGrant)
        /// Too many failures from this address: answer this (429) instead.
        case throttled(Response)
    }

    /// Verifies an ID token and finds its grant; a refusal is audited (within the throttle) and thrown.
    /// Shared by the bearer path and the exchange endpoint.
    static func authenticateIDToken(_ token: String, request: Request, context: Context, services: SignetServices) async throws -> IDTokenOutcome {
        let refusal: WorkloadAuthenticator.Refusal
        if let authenticator = services.identity {
            do {
                return .granted(try await authenticator.authenticate(token))
            } catch let refused as WorkloadAuthenticator.Refusal {
                refusal = refused
            }
        } else {
            refusal = .init(error: SignetError(.oidcUnknownIssuer, "This Signet trusts no OIDC issuer (identity.oidc in config.yaml); use a Signet token"),
                            details: [:])
        }
        var details = refusal.details
        details["code"] = refusal.error.code.name
        details["request_id"] = context.id
        let target = refusal.details["oidc_issuer"] ?? refusal.details["claimed_issuer"]
        if let response = try await refuse(refusal.error, action: AuditAction.authOIDCRefuse, target: target, details: details,
                                           request: request, context: context, services: services) {
            return .throttled(response)
        }
        throw refusal.error
    }

    /// Counts a failed authentication against the client's allowance and audits it; returns the 429
    /// to answer when the client is over its allowance, nil when `error` should be thrown.
    static func refuse(_ error: SignetError, action: String, target: String?, details: [String: String], request: Request, context: Context,
                       services: SignetServices) async throws -> Response? {
        let now = services.clock.now()
        let client = context.clientAddress
        let verdict = services.authThrottle.recordFailure(from: client, at: now)
        var details = details
        details["reason"] = error.reason
        details["path"] = String(request.uri.path.prefix(256))
        details["client"] = client
        switch verdict {
        case .audit:
            try? await services.repository.append(AuditEvent(
                time: now, actor: "anonymous", role: nil, action: action, target: target, outcome: .refused, details: details))
            return nil
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
}
