import Foundation

/// Certificates counted by team, profile and the status a reader sees now.
public struct CertificateCount: Sendable, Hashable, Codable {
    public var team: String?
    public var profile: String
    public var status: String
    public var count: Int

    public init(team: String?, profile: String, status: String, count: Int) {
        self.team = team
        self.profile = profile
        self.status = status
        self.count = count
    }
}

/// Aggregates the store answers for the inventory.
public protocol InventoryRepository: Sendable {
    func certificateCounts(at now: Date) async throws -> [CertificateCount]
}

/// The whole estate in one document: every authority and key (where it lives, what it is for, its
/// state, when it rotates), certificates by team, profile and status, what expires soon, and whether
/// the store and the token agree.
public struct Inventory: Sendable, Codable {
    public struct Authority: Sendable, Codable {
        public var name: String
        public var profile: String
        public var kind: String
        public var generation: Int
        public var state: String
        public var parent: String?
        public var keyId: String
        public var keyLabel: String?
        public var algorithm: String?
        public var createdAt: Date
        public var notAfter: Date
        public var nextRotation: Date?
    }

    public struct Key: Sendable, Codable {
        public var id: String
        public var label: String
        public var algorithm: String
        public var purpose: String
        public var state: String
        public var createdAt: Date
        public var destroyedAt: Date?
        public var team: String?
        public var release: String?
        /// Whether the private key is present in the token now.
        public var inToken: Bool
    }

    public struct TokenOnlyKey: Sendable, Codable {
        public var id: String
        public var label: String
        public var algorithm: String?
    }

    /// Store and token compared.
    public struct Consistency: Sendable, Codable {
        /// Private keys in the token that the store does not account for (created behind Signet's back,
        /// or left by a crash the store has no record of).
        public var unknownInToken: [TokenOnlyKey]
        /// Keys the store expects in the token (active, pending or scheduled for destruction) that are missing.
        public var missingFromToken: [Key]
        public var consistent: Bool { unknownInToken.isEmpty && missingFromToken.filter { $0.state == "active" }.isEmpty }
    }

    public var generatedAt: Date
    public var custody: String
    public var authorities: [Authority]
    public var keys: [Key]
    public var certificates: [CertificateCount]
    public var expiringWithin: String
    public var expiring: [CertificateSummary]
    public var consistency: Consistency

    /// Collects the inventory from the store and the token.
    public static func collect(ca: CertificateAuthority, counts: any InventoryRepository, expiringWithin: ValidityDuration) async throws -> Inventory {
        let now = ca.clock.now()
        let repository = ca.repository
        let storeKeys = try await repository.keys()
        let tokenKeys = try ca.custodian.listKeys()
        let tokenIDs = Set(tokenKeys.map(\.reference.idHex))
        let keysByID = Dictionary(uniqueKeysWithValues: storeKeys.map { ($0.id, $0) })
        let keys = storeKeys.map { key in
            Key(id: key.id, label: key.label, algorithm: key.algorithm.rawValue, purpose: key.purpose.rawValue, state: key.state.rawValue,
                createdAt: key.createdAt, destroyedAt: key.destroyedAt, team: key.team, release: key.release, inToken: tokenIDs.contains(key.id))
        }
        let authorities = try await repository.authorities().map { record in
            Authority(name: record.name, profile: record.profile, kind: record.kind, generation: record.generation, state: record.state.rawValue,
                      parent: record.parent, keyId: record.keyID, keyLabel: keysByID[record.keyID]?.label,
                      algorithm: keysByID[record.keyID]?.algorithm.rawValue, createdAt: record.createdAt, notAfter: record.notAfter,
                      nextRotation: (record.state == .active || record.state == .next) ? record.rotateAt : nil)
        }
        let accounted: Set<KeyState> = [.active, .pending, .retiring]
        let unknown = tokenKeys.filter { key in keysByID[key.reference.idHex].map { !accounted.contains($0.state) } ?? true }
            .map { TokenOnlyKey(id: $0.reference.idHex, label: $0.reference.label, algorithm: $0.algorithm?.rawValue) }
        let missing = keys.filter { ($0.state == KeyState.active.rawValue || $0.state == KeyState.retiring.rawValue) && !$0.inToken }
        let expiring = try await repository.certificates(CertificateQuery(expiringBefore: now.addingTimeInterval(expiringWithin.timeInterval), now: now, limit: 1000))
        return Inventory(
            generatedAt: now, custody: ca.custodian.custodyDescription, authorities: authorities, keys: keys,
            certificates: try await counts.certificateCounts(at: now), expiringWithin: expiringWithin.description,
            expiring: expiring.map { $0.summary(at: now) }, consistency: Consistency(unknownInToken: unknown, missingFromToken: missing))
    }
}
