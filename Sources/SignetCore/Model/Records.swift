import Foundation

/// Lifecycle of a certificate record. `pending` rows hold a serial and linted TBS that were persisted
/// before signing; if the CA stops between signing and recording, the pending row is the evidence.
/// Expiry is not a stored state: it follows from `notAfter` and the clock.
public enum CertificateStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case valid
    case revoked
}

/// A certificate as the store knows it.
public struct CertificateRecord: Sendable, Hashable, Codable {
    public var serial: String
    public var issuer: String
    public var profile: String
    public var subject: String
    public var team: String?
    public var release: String?
    public var requester: String
    /// The HSM key the certificate certifies, for certificates of keys Signet holds.
    public var keyID: String?
    public var notBefore: Date
    public var notAfter: Date
    public var status: CertificateStatus
    public var revokedAt: Date?
    public var revocationReason: RevocationReason?
    public var der: [UInt8]?
    public var createdAt: Date
    /// For a certificate issued to a CI identity: its repository (`signet list --repository`).
    public var repository: String?

    public init(serial: String, issuer: String, profile: String, subject: String, team: String?, release: String?, requester: String,
                keyID: String?, notBefore: Date, notAfter: Date, status: CertificateStatus, revokedAt: Date? = nil,
                revocationReason: RevocationReason? = nil, der: [UInt8]?, createdAt: Date, repository: String? = nil) {
        self.repository = repository
        self.serial = serial
        self.issuer = issuer
        self.profile = profile
        self.subject = subject
        self.team = team
        self.release = release
        self.requester = requester
        self.keyID = keyID
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.status = status
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
        self.der = der
        self.createdAt = createdAt
    }

    /// The status a reader should see at `now`: valid certificates past notAfter read as expired.
    public func displayStatus(at now: Date) -> String {
        if status == .valid && notAfter < now { return "expired" }
        return status.rawValue
    }
}

/// The serial and linted TBS persisted before the signature is made.
public struct PendingCertificate: Sendable, Hashable {
    public var record: CertificateRecord
    public var tbs: [UInt8]
    public init(record: CertificateRecord, tbs: [UInt8]) {
        self.record = record
        self.tbs = tbs
    }
}

/// Lifecycle of a key in custody. A key is recorded `pending` before the token generates it, so a
/// crash can never leave a key in the token that the store has not heard of.
public enum KeyState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case active
    /// For an authority's key: scheduled for destruction (its authority is retired, or its release
    /// certificate expired or was revoked). Destruction is idempotent and retried at start-up.
    case retiring
    /// Destroyed in the token; the record stays.
    case destroyed
    /// Generation never completed (crash or failure); any token object was removed.
    case abandoned
}

/// A key the store knows about.
public struct KeyRecord: Sendable, Hashable, Codable {
    public var id: String
    public var label: String
    public var algorithm: KeyAlgorithm
    public var purpose: KeyPurpose
    public var state: KeyState
    public var createdAt: Date
    public var destroyedAt: Date?
    public var team: String?
    public var release: String?

    public init(id: String, label: String, algorithm: KeyAlgorithm, purpose: KeyPurpose, state: KeyState, createdAt: Date,
                destroyedAt: Date? = nil, team: String? = nil, release: String? = nil) {
        self.id = id
        self.label = label
        self.algorithm = algorithm
        self.purpose = purpose
        self.state = state
        self.createdAt = createdAt
        self.destroyedAt = destroyedAt
        self.team = team
        self.release = release
    }

    public var reference: KeyReference { KeyReference(id: Hex.decode(id) ?? [], label: label) }
}

/// Lifecycle of an authority (a CA, OCSP signer or TSA: a certified key that signs things).
public enum AuthorityState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Created ahead of a scheduled rotation (the profile's `overlap`) and published, not yet signing.
    case next
    /// Signs new material.
    case active
    /// Replaced; still signs CRLs and OCSP for certificates it issued until they expire.
    case retiring
    /// Key destroyed; record kept.
    case retired
}

/// A certified signing key Signet operates: the root, an issuing CA, an OCSP signer or the TSA.
public struct AuthorityRecord: Sendable, Hashable, Codable {
    /// `<profile>-<generation>`, e.g. `issuing-ca-1`; appears in URLs (`/ca/issuing-ca-1.crt`).
    public var name: String
    public var profile: String
    public var kind: String
    public var generation: Int
    public var keyID: String
    /// The authority that certified this one; nil for the root.
    public var parent: String?
    public var certificateSerial: String
    public var certificateDER: [UInt8]
    public var state: AuthorityState
    public var createdAt: Date
    public var notAfter: Date
    /// When the scheduler should replace it (from the profile's rotation policy), if ever.
    public var rotateAt: Date?
    /// When it stopped signing new material (became `retiring`).
    public var retiringSince: Date?

    public init(name: String, profile: String, kind: String, generation: Int, keyID: String, parent: String?, certificateSerial: String,
                certificateDER: [UInt8], state: AuthorityState, createdAt: Date, notAfter: Date, rotateAt: Date?) {
        self.name = name
        self.profile = profile
        self.kind = kind
        self.generation = generation
        self.keyID = keyID
        self.parent = parent
        self.certificateSerial = certificateSerial
        self.certificateDER = certificateDER
        self.state = state
        self.createdAt = createdAt
        self.notAfter = notAfter
        self.rotateAt = rotateAt
        self.retiringSince = nil
    }
}

/// One audit event, before the store chains and numbers it.
public struct AuditEvent: Sendable, Hashable, Codable {
    public var time: Date
    public var actor: String
    public var role: String?
    public var action: String
    public var target: String?
    public var outcome: Outcome
    public var details: [String: String]

    public enum Outcome: String, Sendable, Hashable, Codable {
        case success
        case refused
        case failed
    }

    public init(time: Date, actor: String, role: String?, action: String, target: String?, outcome: Outcome = .success, details: [String: String] = [:]) {
        self.time = time
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.outcome = outcome
        self.details = details
    }

    /// An event by `principal`. A CI job's entries also record its identity (issuer, subject,
    /// repository, ref, run, commit, workflow) and the rule that admitted it, whatever the action.
    public init(time: Date, principal: Principal, action: String, target: String?, outcome: Outcome = .success, details: [String: String] = [:]) {
        var details = details
        if let workload = principal.workload {
            details.merge(workload.identity.auditDetails) { given, _ in given }
            details["oidc_rule"] = details["oidc_rule"] ?? workload.rule
        }
        self.init(time: time, actor: principal.name, role: principal.role.rawValue, action: action, target: target, outcome: outcome, details: details)
    }
}

/// A stored audit entry: the event plus its position and the hash that chains it to the previous one.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var event: AuditEvent
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, event: AuditEvent, previousHash: String, hash: String) {
        self.sequence = sequence
        self.event = event
        self.previousHash = previousHash
        self.hash = hash
    }
}
