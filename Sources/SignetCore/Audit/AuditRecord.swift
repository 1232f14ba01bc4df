import Foundation

/// An audit entry exactly as the store holds it: the nine values its hash covers, as stored text.
/// Verification hashes these rather than a parsed ``AuditEntry``, so any change to a stored value is
/// seen, including ones parsing would hide (an unknown outcome read back as `failed`, details JSON
/// that does not parse read back as empty, the details' own spacing). It is also what an auditor
/// reads with `sqlite3` to recompute the chain (docs/audit.md).
public struct AuditRecord: Sendable, Hashable {
    public var sequence: Int64
    public var timeMillis: Int64
    public var actor: String
    public var role: String?
    public var action: String
    public var target: String?
    public var outcome: String
    /// The details as stored: a JSON object with sorted keys (``CanonicalJSON/object(_:)``).
    public var details: String
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, timeMillis: Int64, actor: String, role: String?, action: String, target: String?, outcome: String,
                details: String, previousHash: String, hash: String) {
        self.sequence = sequence
        self.timeMillis = timeMillis
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.outcome = outcome
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The stored form of a parsed entry, as the store writes it.
    public init(_ entry: AuditEntry) {
        let event = entry.event
        self.init(sequence: entry.sequence, timeMillis: AuditChain.millis(event.time), actor: event.actor, role: event.role,
                  action: event.action, target: event.target, outcome: event.outcome.rawValue, details: CanonicalJSON.object(event.details),
                  previousHash: entry.previousHash, hash: entry.hash)
    }
}
