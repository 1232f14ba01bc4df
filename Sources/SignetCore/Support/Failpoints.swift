/// Named points in multi-step operations where a test can make the process die, to prove that a
/// crash at exactly that point leaves the store and the token consistent (in the spirit of
/// FoundationDB's and TiKV's failpoints). Disarmed unless the runtime arms them from
/// `SIGNET_FAILPOINTS`; a disarmed point costs one lock and a set lookup.
public enum Failpoints {
    /// Key generated in the token, not yet certified.
    public static let afterKeyGeneration = "authority.after-key-generation"
    /// Certificate signed, not yet recorded.
    public static let afterCertificateSigned = "authority.after-certificate-signed"
    /// Audit checkpoint row committed, the token's anchor not yet written.
    public static let afterCheckpointRecorded = "audit.after-checkpoint-recorded"
    /// The anchor's private copy written, the public copy not yet.
    public static let afterPrivateAnchorWritten = "audit.after-private-anchor"

    private static let armed = Locked<Set<String>>([])
    private static let action = Locked<(@Sendable (String) -> Void)?>(nil)

    /// Arms `names`; `action` runs (and is expected not to return) when one is reached.
    public static func arm(_ names: Set<String>, action: @escaping @Sendable (String) -> Void) {
        armed.withLock { $0 = names }
        Self.action.withLock { $0 = action }
    }

    public static func hit(_ name: String) {
        guard armed.withLock({ $0.contains(name) }) else { return }
        action.withLock { $0 }?(name)
    }
}
