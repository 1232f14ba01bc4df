import Foundation
import Hummingbird
import SignetCore

/// `POST /api/v1/auth/oidc`: a CI job exchanges its OIDC ID token (in the body as `id_token`, or as
/// the bearer) for a short-lived Signet token, so a pipeline that makes several calls has its token
/// verified once. The Signet token has role ci and the matching rule's team, records the identity, and
/// expires with the ID token or after 15 minutes, whichever is first. Refusals are those of an ID token
/// used as a bearer (401/403 with an `oidc_…` code, audited, throttled per client address).
struct IdentityController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .post, "/api/v1/auth/oidc", exchange)
    }

    struct ExchangeBody: Encodable {
        let token: String
        let tokenId: String
        let expiresAt: Date
        let role: String
        let team: String
        let rule: String
        /// The one release this job may make and use keys for, if the rule derives one.
        let release: String?
        let identity: IdentityBody
    }

    struct IdentityBody: Encodable {
        let issuer: String
        let subject: String
        let repository: String?
        let ref: String?
        let runId: String?
        let workflow: String?
    }

    @Sendable func exchange(_ request: Request, context: SignetRequestContext) async throws -> Response {
        var token = request.headers[.authorization].flatMap(BearerCredential.parse(authorization:))
        if let length = request.headers[.contentLength], length != "0" {
            let body = try await JSONBody.object(from: request, context: context, allowed: ["id_token"])
            if let given = try body.string("id_token") {
                guard token == nil else { throw SignetError.malformed("Send the ID token once: as id_token or as the bearer, not both") }
                token = given
            }
        }
        guard let token, !token.isEmpty else {
            throw SignetError(.unauthenticated, "Send the CI job's OIDC ID token as {\"id_token\": \"…\"} or Authorization: Bearer <ID token>")
        }
        let grant: WorkloadGrant
        switch try await AuthMiddleware.authenticateIDToken(token, request: request, context: context, services: services) {
        case .granted(let granted): grant = granted
        case .throttled(let response): return response
        }
        let (secret, record) = try await services.tokens.exchange(grant)
        let identity = grant.identity
        return try JSONBody.response(ExchangeBody(
            token: secret, tokenId: record.id, expiresAt: record.expiresAt ?? identity.expiresAt, role: record.role.rawValue, team: grant.team,
            rule: grant.rule, release: grant.release,
            identity: IdentityBody(issuer: identity.issuer, subject: identity.subject, repository: identity.repository, ref: identity.ref,
                                   runId: identity.runID, workflow: identity.workflowRef)), status: .created)
    }
}
