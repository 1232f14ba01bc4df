import Foundation

/// The result of checking the trail: how much was checked, against what, what could not be checked,
/// and the first problem, if any.
public struct AuditVerification: Sendable, Codable {
    public var entries: Int
    public var checkpoints: Int
    public var lastSequence: Int64
    /// The newest checkpoint in the database.
    public var newestCheckpoint: CheckpointSummary?
    /// The anchor read from the token (the private copy with the PIN, else the public one).
    public var anchor: AnchorSummary?
    /// Seconds since the newest checkpoint (database or token, whichever is newer) was signed.
    public var checkpointAgeSeconds: Double?
    /// The configured bound on that age, enforced while the server runs.
    public var maxCheckpointAgeSeconds: Int64?
    /// Whether a `signet serve` held the home's server lock; nil when not asked.
    public var serverRunning: Bool?
    /// Whether the token was read logged in (with the user PIN).
    public var checkedWithPIN: Bool
    /// What this verification could not check, and why, in words for the user.
    public var notChecked: [String]
    /// The first broken entry, checkpoint or anchor, or the staleness, and why.
    public var firstProblem: Problem?

    public struct CheckpointSummary: Sendable, Codable {
        public var sequence: Int64
        public var time: Date
        public var keyId: String
    }

    public struct AnchorSummary: Sendable, Codable {
        public var sequence: Int64
        public var time: Date
        /// `private` or `public`.
        public var copy: String
        /// The anchor is one checkpoint behind the database: a checkpoint was interrupted after its
        /// row committed and before the token was written. The next checkpoint catches it up.
        public var oneBehind: Bool
    }

    public struct Problem: Sendable, Codable {
        public enum Kind: String, Sendable, Codable {
            /// An entry's hash or link.
            case chain
            /// A checkpoint row: its entry, its link to the previous checkpoint, its signature or key.
            case checkpoint
            /// The token's anchor, or how the database relates to it.
            case anchor
            /// The newest checkpoint is older than allowed while the server runs.
            case stale
            /// Checkpoints could not be checked at all (no token).
            case unverifiable
        }

        public var kind: Kind
        /// The entry the problem is at.
        public var sequence: Int64
        public var reason: String

        public init(kind: Kind, sequence: Int64, reason: String) {
            self.kind = kind
            self.sequence = sequence
            self.reason = reason
        }

        /// One line for the user: what is wrong and where.
        public var summary: String {
            switch kind {
            case .chain, .checkpoint, .anchor: return "Audit trail broken at entry \(sequence): \(reason)"
            case .stale: return "Audit trail not checkpointed: \(reason)"
            case .unverifiable: return "Audit trail not verified: \(reason)"
            }
        }
    }

    public init(entries: Int = 0, checkpoints: Int = 0, lastSequence: Int64 = 0, checkedWithPIN: Bool = false) {
        self.entries = entries
        self.checkpoints = checkpoints
        self.lastSequence = lastSequence
        self.checkedWithPIN = checkedWithPIN
        self.notChecked = []
    }

    public var isIntact: Bool { firstProblem == nil }
}
