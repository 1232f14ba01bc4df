import Foundation
import GRDB
import SignetCore

// MARK: Tokens

extension SQLiteStore: TokenRepository {
    static func registerTokenMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-tokens") { db in
            try db.execute(sql: """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    team TEXT,
                    hash TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    expires_at REAL,
                    revoked_at REAL,
                    created_by TEXT NOT NULL
                );
                """)
        }
    }

    public func createToken(_ token: APITokenRecord, event: AuditEvent) async throws {
        try await write("creating token \(token.id)") { db in
            try db.execute(sql: """
                INSERT INTO api_tokens (id, name, role, team, hash, created_at, expires_at, revoked_at, created_by, identity)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
                """, arguments: [token.id, token.name, token.role.rawValue, token.team, token.hash, token.createdAt.timeIntervalSince1970,
                                 token.expiresAt?.timeIntervalSince1970, token.createdBy, try Self.identityJSON(token.identity)])
            try Self.appendAudit(event, in: db)
        }
    }

    public func token(hash: String) async throws -> APITokenRecord? {
        try await readPoint("looking up a token") { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE hash = ?"), arguments: [hash]).map { try Self.tokenRecord($0) }
        }
    }

    public func tokens() async throws -> [APITokenRecord] {
        try await read("listing tokens") { db in try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY created_at").map { try Self.tokenRecord($0) } }
    }

    public func revokeToken(id: String, at time: Date, event: AuditEvent) async throws -> APITokenRecord {
        try await write("revoking token \(id)") { db in
            guard let current = try Row.fetchOne(db, sql: "SELECT * FROM api_tokens WHERE id = ?", arguments: [id]).map(Self.tokenRecord) else {
                throw SignetError.notFound("No token with id \(id)")
            }
            guard current.revokedAt == nil else { throw SignetError.conflict("Token \(id) is already revoked") }
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", arguments: [time.timeIntervalSince1970, id])
            try Self.appendAudit(event, in: db)
            var revoked = current
            revoked.revokedAt = time
            return revoked
        }
    }

    static func tokenRecord(_ row: Row) throws -> APITokenRecord {
        APITokenRecord(
            id: row["id"], name: row["name"], role: try StoredValue.decode(Role.self, row["role"], table: "api_tokens", column: "role"), team: row["team"], hash: row["hash"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)), createdBy: row["created_by"],
            identity: (row["identity"] as String?).flatMap { text in
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .secondsSince1970
                return try? decoder.decode(WorkloadIdentity.self, from: Data(text.utf8))
            })
    }

    /// A token's CI identity as stored: JSON with sorted keys, or NULL.
    static func identityJSON(_ identity: WorkloadIdentity?) throws -> String? {
        guard let identity else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: try encoder.encode(identity), as: UTF8.self)
    }
}
