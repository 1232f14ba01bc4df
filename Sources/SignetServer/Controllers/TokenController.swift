import Foundation
import Hummingbird
import SignetCore

/// `/api/v1/tokens`: admins create, list and revoke bearer tokens. A new token's secret is returned
/// once, in the creation response; only its hash is stored. A token expires after `expires_in`
/// (default 90 days; `"never"` for none), and the response says when (`expires_at`, null for never).
struct TokenController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .post, "/api/v1/tokens", create)
        table.add(router, .get, "/api/v1/tokens", list)
        table.add(router, .post, "/api/v1/tokens/{id}/revoke", revoke)
    }

    struct CreateBody: Decodable {
        let role: String
        let team: String?
        let name: String?
        let expiresIn: String?
    }

    struct TokenBody: Encodable {
        let id: String
        let token: String?
        let name: String
        let role: String
        let team: String?
        let createdAt: Date
        let expiresAt: Date?
        let revokedAt: Date?

        init(_ record: APITokenRecord, token: String? = nil) {
            self.id = record.id
            self.token = token
            self.name = record.name
            self.role = record.role.rawValue
            self.team = record.team
            self.createdAt = record.createdAt
            self.expiresAt = record.expiresAt
            self.revokedAt = record.revokedAt
        }

        enum CodingKeys: String, CodingKey {
            case id, token, name, role, team, createdAt, expiresAt, revokedAt
        }

        /// `expires_at` is always present, null for a token that never expires, so a client sees which it got.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encodeIfPresent(token, forKey: .token)
            try container.encode(name, forKey: .name)
            try container.encode(role, forKey: .role)
            try container.encodeIfPresent(team, forKey: .team)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(expiresAt, forKey: .expiresAt)
            try container.encodeIfPresent(revokedAt, forKey: .revokedAt)
        }
    }

    @Sendable func create(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.checkManageTokens(principal)
        let body = try await JSONBody.decode(CreateBody.self, from: request, context: context, allowed: ["role", "team", "name", "expires_in"])
        guard let role = Role(rawValue: body.role) else {
            throw SignetError.malformed("Unknown role '\(body.role)'; use \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (token, record) = try await services.tokens.create(
            role: role, team: body.team, name: body.name, lifetime: try TokenLifetime(parsing: body.expiresIn), by: principal)
        return try JSONBody.response(TokenBody(record, token: token), status: .created)
    }

    @Sendable func list(_ request: Request, context: SignetRequestContext) async throws -> Response {
        try AccessPolicy.checkManageTokens(try context.requirePrincipal())
        return try JSONBody.response(["tokens": try await services.repository.tokens().map { TokenBody($0) }])
    }

    @Sendable func revoke(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let record = try await services.tokens.revoke(id: context.parameters.get("id") ?? "", by: principal)
        return try JSONBody.response(TokenBody(record))
    }
}
