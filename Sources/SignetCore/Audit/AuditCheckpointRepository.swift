/// Checkpoint persistence and reads of the trail, for checkpointing and verification.
public protocol AuditCheckpointRepository: Sendable {
    func lastAuditEntry() async throws -> AuditEntry?
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    /// Entries exactly as stored (what their hashes cover), sequence greater than `after`, in order,
    /// at most `limit`.
    func auditRecords(after: Int64, limit: Int) async throws -> [AuditRecord]
    /// Every checkpoint row, oldest first.
    func checkpoints() async throws -> [AuditCheckpoint]
    func newestCheckpoint() async throws -> AuditCheckpoint?
    /// Records `checkpoint` as the newest, provided the newest row is still `newest` (compare and
    /// set, so two writers cannot both chain onto the same row). A checkpoint over the same entry as
    /// `newest` (a refresh) replaces that row; the table keeps one checkpoint per entry.
    func recordCheckpoint(_ checkpoint: AuditCheckpoint, replacingNewest newest: AuditCheckpoint?) async throws
    /// Records the audit key's public key when it is activated (for people reading the database;
    /// verification trusts only the token's copy).
    func activateAuditKey(id: String, publicKey: [UInt8], event: AuditEvent) async throws
}
