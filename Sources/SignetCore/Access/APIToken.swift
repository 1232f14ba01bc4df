import Crypto
import Foundation

/// A bearer token as stored: never the token itself, only its SHA-256. The `id` is public (it
/// appears in lists, logs and audit entries) and is also the token's prefix, so an operator can
/// tell tokens apart without ever seeing the secret part.
public struct APITokenRecord: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var role: Role
    public var team: String?
    public var hash: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var createdBy: String
    /// For a token a CI job got by exchanging its OIDC ID token: the identity that token proved. The
    /// job's grant is decided from it again on every use (``WorkloadAuthenticator/grant(for:)``).
    public var identity: WorkloadIdentity?

    public init(id: String, name: String, role: Role, team: String?, hash: String, createdAt: Date, expiresAt: Date?, revokedAt: Date?, createdBy: String,
                identity: WorkloadIdentity? = nil) {
        self.identity = identity
        self.id = id
        self.name = name
        self.role = role
        self.team = team
        self.hash = hash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
    }

    public var principal: Principal { Principal(name: name, role: role, team: team) }

    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// Token persistence.
public protocol TokenRepository: Sendable {
    func createToken(_ token: APITokenRecord, event: AuditEvent) async throws
    func token(hash: String) async throws -> APITokenRecord?
    func tokens() async throws -> [APITokenRecord]
    /// Revokes a token; `notFound` if unknown, `conflict` if already revoked.
    func revokeToken(id: String, at time: Date, event: AuditEvent) async throws -> APITokenRecord
}

/// Issues and checks bearer tokens. A token is `sgt_<id>_<secret>`: 8 hex characters of id and 32
/// random octets of secret in base64url (256 bits; guessing is hopeless, so a plain hash suffices
/// for storage and lookup).
public struct APITokens: Sendable {
    public let repository: any TokenRepository
    public let clock: any SignetClock

    public init(repository: any TokenRepository, clock: any SignetClock) {
        self.repository = repository
        self.clock = clock
    }

    /// A new token: the secret string (shown once) and its record. It expires after `lifetime`
    /// (``TokenLifetime/standard``, 90 days, unless the caller asks for another or for ``TokenLifetime/never``).
    public func create(role: Role, team: String?, name: String?, lifetime: TokenLifetime = .standard, by principal: Principal) async throws -> (String, APITokenRecord) {
        try AccessPolicy.checkManageTokens(principal)
        if let team { try NameRules.validateTeam(team) }
        if (role == .developer || role == .ci) && team == nil {
            throw SignetError.malformed("A \(role) token needs a team (--team)")
        }
        if let name, name.isEmpty || name.count > 64 || name.contains(where: { $0.isNewline }) {
            throw SignetError.malformed("Expected a token name of 1-64 characters on one line")
        }
        let (id, token) = Self.generate()
        let now = clock.now()
        let record = APITokenRecord(
            id: id, name: name ?? "\(role.rawValue)-\(id)", role: role, team: team, hash: Self.hash(token), createdAt: now,
            expiresAt: lifetime.expiry(from: now), revokedAt: nil, createdBy: principal.name)
        try await repository.createToken(record, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.tokenCreate, target: id,
            details: ["role": role.rawValue, "team": team ?? "", "name": record.name, "expires_at": record.expiresAt.map { "\($0.timeIntervalSince1970)" } ?? ""]))
        return (token, record)
    }

    /// The longest an exchanged token lives (it also never outlives the ID token it came from).
    public static let exchangedTokenLifetime: TimeInterval = 15 * 60

    /// A Signet token for a CI job that proved itself with an OIDC ID token (`POST /api/v1/auth/oidc`):
    /// role ci, the matching rule's team, the verified identity recorded with it, and an expiry at the
    /// ID token's `exp` or in 15 minutes, whichever is first. Returns the secret (shown once) and its record.
    public func exchange(_ grant: WorkloadGrant) async throws -> (String, APITokenRecord) {
        let now = clock.now()
        let expiry = min(grant.identity.expiresAt, now.addingTimeInterval(Self.exchangedTokenLifetime))
        guard expiry > now else { throw SignetError(.oidcTokenExpired, "The ID token has expired; ask the CI for a fresh one") }
        let (id, token) = Self.generate()
        let principal = grant.principal
        let record = APITokenRecord(
            id: id, name: principal.name, role: .ci, team: grant.team, hash: Self.hash(token), createdAt: now, expiresAt: expiry,
            revokedAt: nil, createdBy: principal.name, identity: grant.identity)
        try await repository.createToken(record, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.authOIDCExchange, target: id,
            details: ["team": grant.team, "expires_at": ISO8601.string(expiry)]))
        return (token, record)
    }

    /// A fresh public id and token string.
    static func generate() -> (id: String, token: String) {
        var rng = SystemRandomNumberGenerator()
        let id = (0..<4).map { _ in UInt8.random(in: .min ... .max, using: &rng) }.hexString
        let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }).base64URLEncoded
        return (id, "sgt_\(id)_\(secret)")
    }

    /// The principal behind a presented token; `unauthenticated` for anything else.
    public func authenticate(_ presented: String) async throws -> APITokenRecord {
        guard presented.hasPrefix("sgt_"), presented.count < 128 else {
            throw SignetError(.unauthenticated, "Unknown bearer token")
        }
        guard let record = try await repository.token(hash: Self.hash(presented)) else {
            throw SignetError(.unauthenticated, "Unknown bearer token")
        }
        if record.revokedAt != nil { throw SignetError(.unauthenticated, "Token \(record.id) was revoked") }
        if let expiry = record.expiresAt, clock.now() >= expiry { throw SignetError(.unauthenticated, "Token \(record.id) expired at \(expiry)") }
        return record
    }

    public func revoke(id: String, by principal: Principal) async throws -> APITokenRecord {
        try AccessPolicy.checkManageTokens(principal)
        let now = clock.now()
        return try await repository.revokeToken(id: id, at: now, event: AuditEvent(time: now, principal: principal, action: AuditAction.tokenRevoke, target: id))
    }

    public static func hash(_ token: String) -> String {
        Array(SHA256.hash(data: Array(token.utf8))).hexString
    }

    /// The public id embedded in a token string, for logging failed attempts without the secret.
    public static func publicID(of presented: String) -> String? {
        let parts = presented.split(separator: "_")
        guard parts.count == 3, parts[0] == "sgt", parts[1].count == 8, Hex.decode(parts[1]) != nil else { return nil }
        return String(parts[1])
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    public var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
