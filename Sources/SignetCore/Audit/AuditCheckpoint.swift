import Foundation

/// A signed statement that the audit trail had `entryHash` at entry `sequence`: signed in the HSM by
/// the audit key, it pins everything before it. Rewriting history before a checkpoint needs the HSM
/// key; cutting entries off the end leaves a checkpoint pointing past the last entry.
///
/// Checkpoints are chained: each one names the entry of the checkpoint signed before it
/// (`previousSequence`, 0 for the first), inside what is signed, so deleting a checkpoint row from the
/// middle of the table breaks the next one's link. The newest checkpoint is also kept in the token
/// (``AuditAnchor``), which pins the end of the chain outside the database. Checkpoints written before
/// chaining existed have no `previousSequence` and sign the shorter v1 form.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var entryHash: String
    public var time: Date
    public var keyID: String
    public var signature: [UInt8]
    /// The entry of the checkpoint signed before this one (0 for the first); nil for a v1 checkpoint.
    public var previousSequence: Int64?

    public init(sequence: Int64, entryHash: String, time: Date, keyID: String, signature: [UInt8], previousSequence: Int64? = nil) {
        self.sequence = sequence
        self.entryHash = entryHash
        self.time = time
        self.keyID = keyID
        self.signature = signature
        self.previousSequence = previousSequence
    }

    /// The signing time in whole milliseconds since 1970, as stored, signed and compared.
    public var timeMillis: Int64 { Self.millis(time) }

    static func millis(_ time: Date) -> Int64 {
        let value = (time.timeIntervalSince1970 * 1000).rounded()
        // Dates come from the clock or from stored integers; clamp rather than trap on anything absurd.
        guard value.isFinite, value > -9.0e15, value < 9.0e15 else { return 0 }
        return Int64(value)
    }

    /// What the audit key signs: `signet-audit-checkpoint-v2|<sequence>|<entry hash>|<time ms>|<previous
    /// sequence>` (UTF-8), or the v1 form without the last field for checkpoints from before chaining.
    public var signedBytes: [UInt8] {
        Self.signedBytes(sequence: sequence, entryHash: entryHash, timeMillis: timeMillis, previousSequence: previousSequence)
    }

    public static func signedBytes(sequence: Int64, entryHash: String, timeMillis: Int64, previousSequence: Int64?) -> [UInt8] {
        if let previousSequence {
            return Array("signet-audit-checkpoint-v2|\(sequence)|\(entryHash)|\(timeMillis)|\(previousSequence)".utf8)
        }
        return Array("signet-audit-checkpoint-v1|\(sequence)|\(entryHash)|\(timeMillis)".utf8)
    }

    /// The same signed statement: every signed field, the key and the signature are equal.
    public func isSameStatement(as other: AuditCheckpoint) -> Bool {
        sequence == other.sequence && entryHash == other.entryHash && timeMillis == other.timeMillis && keyID == other.keyID
            && signature == other.signature && previousSequence == other.previousSequence
    }

    /// Whether this checkpoint is the one signed right after `earlier`: a later signature over the same
    /// entry (a refresh, which replaces `earlier`'s row) or over a later entry whose link names
    /// `earlier`. This is the one step the token's anchor may lag the database by: the row commits
    /// before the anchor is written (see ``AuditTrail/checkpoint(by:refresh:)``).
    public func directlyFollows(_ earlier: AuditCheckpoint) -> Bool {
        guard let previousSequence, timeMillis > earlier.timeMillis else { return false }
        if sequence == earlier.sequence {
            return entryHash == earlier.entryHash && previousSequence == earlier.previousSequence
        }
        return sequence > earlier.sequence && previousSequence == earlier.sequence
    }

    /// Whether this checkpoint is chained (v2): it names the checkpoint before it.
    public var isChained: Bool { previousSequence != nil }
}
