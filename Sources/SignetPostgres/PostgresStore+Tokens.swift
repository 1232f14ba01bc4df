import Foundation
import PostgresNIO
import SignetCore

// MARK: Tokens

extension PostgresStore: TokenRepository {
    public func createToken(_ token: APITokenRecord, event: AuditEvent) async throws {
        try await write("creating token \(token.id)") { tx in
            try await tx.execute("""
                INSERT INTO api_tokens (id, name, role, team, hash, created_at, expires_at, revoked_at, created_by)
                VALUES (\(token.id), \(token.name), \(token.role.rawValue), \(token.team), \(token.hash), \(token.createdAt.timeIntervalSince1970),
                        \(token.expiresAt?.timeIntervalSince1970), NULL, \(token.createdBy))
                """)
            try await tx.appendAudit(event)
        }
    }

    public func token(hash: String) async throws -> APITokenRecord? {
        try await read("looking up a token") { tx in
            try await tx.row("SELECT * FROM api_tokens WHERE hash = \(hash)").map { try Self.tokenRecord($0) }
        }
    }

    public func tokens() async throws -> [APITokenRecord] {
        try await read("listing tokens") { tx in try await tx.rows("SELECT * FROM api_tokens ORDER BY created_at").map { try Self.tokenRecord($0) } }
    }

    public func revokeToken(id: String, at time: Date, event: AuditEvent) async throws -> APITokenRecord {
        try await write("revoking token \(id)") { tx in
            guard let current = try await tx.row("SELECT * FROM api_tokens WHERE id = \(id) FOR UPDATE").map({ try Self.tokenRecord($0) }) else {
                throw SignetError.notFound("No token with id \(id)")
            }
            guard current.revokedAt == nil else { throw SignetError.conflict("Token \(id) is already revoked") }
            try await tx.execute("UPDATE api_tokens SET revoked_at = \(time.timeIntervalSince1970) WHERE id = \(id)")
            try await tx.appendAudit(event)
            var revoked = current
            revoked.revokedAt = time
            return revoked
        }
    }

    static func tokenRecord(_ row: PostgresRandomAccessRow) throws -> APITokenRecord {
        APITokenRecord(
            id: try row.value("id"), name: try row.value("name"), role: try row.stored(Role.self, "role", table: "api_tokens"), team: try row.value("team"),
            hash: try row.value("hash"), createdAt: try row.date("created_at"), expiresAt: try row.optionalDate("expires_at"),
            revokedAt: try row.optionalDate("revoked_at"), createdBy: try row.value("created_by"))
    }
}
