import Crypto
import Foundation
import X509

/// A signed statement that the audit trail had `hash` at entry `sequence`: signed in the HSM by the
/// audit key, it pins everything before it. Rewriting history before a checkpoint needs the HSM key;
/// cutting entries off the end leaves a checkpoint pointing past the last entry.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var entryHash: String
    public var time: Date
    public var keyID: String
    public var signature: [UInt8]

    public init(sequence: Int64, entryHash: String, time: Date, keyID: String, signature: [UInt8]) {
        self.sequence = sequence
        self.entryHash = entryHash
        self.time = time
        self.keyID = keyID
        self.signature = signature
    }

    /// What the audit key signs.
    public static func signedBytes(sequence: Int64, entryHash: String, time: Date) -> [UInt8] {
        Array("signet-audit-checkpoint-v1|\(sequence)|\(entryHash)|\(Int64((time.timeIntervalSince1970 * 1000).rounded()))".utf8)
    }
}

/// Filters for reading the trail.
public struct AuditQuery: Sendable, Hashable {
    public var since: Date?
    public var actor: String?
    public var action: String?
    public var after: Int64
    public var limit: Int

    public init(since: Date? = nil, actor: String? = nil, action: String? = nil, after: Int64 = 0, limit: Int = 1000) {
        self.since = since
        self.actor = actor
        self.action = action
        self.after = after
        self.limit = limit
    }
}

/// Checkpoint persistence and filtered reads.
public protocol AuditCheckpointRepository: Sendable {
    func lastAuditEntry() async throws -> AuditEntry?
    func appendCheckpoint(_ checkpoint: AuditCheckpoint) async throws
    func checkpoints() async throws -> [AuditCheckpoint]
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    /// Records the audit key's public key when it is activated.
    func activateAuditKey(id: String, publicKey: [UInt8], event: AuditEvent) async throws
    /// The public key (SubjectPublicKeyInfo DER) recorded for `id`.
    func publicKey(ofKey id: String) async throws -> [UInt8]?
}

/// The result of checking the trail: how much was checked and the first problem, if any.
public struct AuditVerification: Sendable, Codable {
    public var entries: Int
    public var checkpoints: Int
    public var lastSequence: Int64
    /// The first broken entry (sequence) or checkpoint, and why.
    public var firstProblem: Problem?

    public struct Problem: Sendable, Codable {
        public var sequence: Int64
        public var reason: String
    }

    public var isIntact: Bool { firstProblem == nil }
}

/// The tamper-evident audit trail's maintenance: the HSM-held audit key, periodic signed checkpoints,
/// and verification of the chain and checkpoints.
public struct AuditTrail: Sendable {
    public let ca: CertificateAuthority
    public let checkpoints: any AuditCheckpointRepository

    public init(ca: CertificateAuthority, checkpoints: any AuditCheckpointRepository) {
        self.ca = ca
        self.checkpoints = checkpoints
    }

    /// The active audit key, generated in the HSM on first use (recorded pending first, as every key).
    public func auditKey(by principal: Principal) async throws -> (KeyRecord, any SigningKey) {
        let repository = ca.repository
        if let record = try await repository.keys().last(where: { $0.purpose == .audit && $0.state == .active }) {
            return (record, try ca.custodian.key(record.reference))
        }
        let now = ca.clock.now()
        let reference = KeyReference(id: CertificateAuthority.randomKeyID(), label: "signet/audit")
        let pending = KeyRecord(id: reference.idHex, label: reference.label, algorithm: .ecP256, purpose: .audit, state: .pending, createdAt: now)
        try await repository.recordPendingKey(pending, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.keyGenerate, target: reference.idHex,
            details: ["label": reference.label, "algorithm": "ec-p256", "purpose": "audit"]))
        let key = try ca.custodian.generateKey(reference, algorithm: .ecP256)
        try await checkpoints.activateAuditKey(id: reference.idHex, publicKey: try key.publicKey.derBytes(), event: AuditEvent(
            time: now, principal: principal, action: AuditAction.keyActivate, target: reference.idHex, details: ["purpose": "audit"]))
        var active = pending
        active.state = .active
        return (active, key)
    }

    /// Signs a checkpoint over the newest entry, unless the newest entry is already covered.
    @discardableResult
    public func checkpoint(by principal: Principal) async throws -> AuditCheckpoint? {
        let (record, key) = try await auditKey(by: principal)
        guard let last = try await checkpoints.lastAuditEntry() else { return nil }
        if let previous = try await checkpoints.checkpoints().last, previous.sequence >= last.sequence { return nil }
        let time = ca.clock.now()
        let signature = try key.sign(message: AuditCheckpoint.signedBytes(sequence: last.sequence, entryHash: last.hash, time: time))
        let checkpoint = AuditCheckpoint(sequence: last.sequence, entryHash: last.hash, time: time, keyID: record.id, signature: signature)
        try await checkpoints.appendCheckpoint(checkpoint)
        return checkpoint
    }

    /// Checks every entry's hash and link, then every checkpoint against the entries and the audit
    /// key (the token's copy when `custodian` can reach it, else the recorded public key).
    public func verify(useToken: Bool) async throws -> AuditVerification {
        let ca = self.ca
        return try await Self.verify(checkpoints: checkpoints) { id in
            if useToken, let record = try await ca.repository.key(id: id), record.state == .active, let key = try? ca.custodian.key(record.reference) {
                return key.publicKey
            }
            return nil
        }
    }

    /// Verification without a runtime (auditors without the HSM PIN): `tokenKey` may return the
    /// token's copy of an audit key; otherwise the public key recorded at activation is used.
    public static func verify(
        checkpoints: any AuditCheckpointRepository, tokenKey: @Sendable (String) async throws -> Certificate.PublicKey? = { _ in nil }
    ) async throws -> AuditVerification {
        var entries: [AuditEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await checkpoints.auditEntries(AuditQuery(after: after, limit: 10_000))
            entries += page
            guard let last = page.last, page.count == 10_000 else { break }
            after = last.sequence
        }
        let marks = try await checkpoints.checkpoints()
        var result = AuditVerification(entries: entries.count, checkpoints: marks.count, lastSequence: entries.last?.sequence ?? 0, firstProblem: nil)
        if let (entry, reason) = AuditChain.firstBreak(in: entries) {
            result.firstProblem = .init(sequence: entry.sequence, reason: reason)
            return result
        }
        var keys: [String: Certificate.PublicKey] = [:]
        for mark in marks {
            let problem: String?
            if mark.sequence > result.lastSequence {
                problem = "checkpoint signed at entry \(mark.sequence), but the trail ends at \(result.lastSequence): entries were removed from the end"
            } else if entries.first(where: { $0.sequence == mark.sequence })?.hash != mark.entryHash {
                problem = "checkpoint does not match entry \(mark.sequence): the entry or its predecessors were rewritten"
            } else {
                if keys[mark.keyID] == nil {
                    if let fromToken = try await tokenKey(mark.keyID) {
                        keys[mark.keyID] = fromToken
                    } else {
                        keys[mark.keyID] = try await checkpoints.publicKey(ofKey: mark.keyID).flatMap { try? Certificate.PublicKey(derEncoded: $0) }
                    }
                }
                if let key = keys[mark.keyID],
                   key.isValidSignature(mark.signature, for: AuditCheckpoint.signedBytes(sequence: mark.sequence, entryHash: mark.entryHash, time: mark.time),
                                        signatureAlgorithm: .ecdsaWithSHA256) {
                    problem = nil
                } else {
                    problem = "checkpoint at entry \(mark.sequence) is not signed by audit key \(mark.keyID)"
                }
            }
            if let problem {
                result.firstProblem = .init(sequence: mark.sequence, reason: problem)
                return result
            }
        }
        return result
    }
}
