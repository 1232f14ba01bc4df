/// Serialises checkpointing between processes sharing a home (the server, `signet audit checkpoint`
/// from cron, `signet init`): each reads the newest checkpoint, signs the next and writes row and
/// anchor, and two interleaved could leave the anchor two steps behind the rows.
public protocol AuditCheckpointLock: Sendable {
    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
}
