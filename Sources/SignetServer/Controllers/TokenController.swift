import Foundation
import Hummingbird
import SignetCore

/// `/api/v1/tokens`: admins create, list and revoke bearer tokens. A new token's secret is returned
/// once, in the creation response; only its hash is stored.
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
    }

    @Sendable func create(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.checkManageTokens(principal)
        let body = try await JSONBody.decode(CreateBody.self, from: request, context: context, allowed: ["role", "team", "name", "expires_in"])
        guard let role = Role(rawValue: body.role) else {
            throw SignetError.malformed("Unknown role '\(body.role)'; use \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (token, record) = try await services.tokens.create(
            role: role, team: body.team, name: body.name, expiresIn: try body.expiresIn.map(ValidityDuration.init(parsing:)), by: principal)
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
