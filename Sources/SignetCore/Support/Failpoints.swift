import Foundation
import Synchronization

/// Named points in multi-step operations where a test can make the process die, to prove that a
/// crash at exactly that point leaves the store and the token consistent (in the spirit of
/// FoundationDB's and TiKV's failpoints), or make it slow there, to prove that the rest of the
/// server does not wait for it. Disarmed unless the runtime arms them from `SIGNET_FAILPOINTS`; a
/// disarmed crash point costs one lock and a set lookup, a disarmed delay one atomic load.
public enum Failpoints {
    /// Key generated in the token, not yet certified.
    public static let afterKeyGeneration = "authority.after-key-generation"
    /// Certificate signed, not yet recorded.
    public static let afterCertificateSigned = "authority.after-certificate-signed"
    /// Audit checkpoint row committed, the token's anchor not yet written.
    public static let afterCheckpointRecorded = "audit.after-checkpoint-recorded"
    /// The anchor's private copy written, the public copy not yet.
    public static let afterPrivateAnchorWritten = "audit.after-private-anchor"

    /// Inside an HSM session, just before C_Sign: a slow token (`hsm.sign.slow=300ms`).
    public static let slowSigning = "hsm.sign.slow"

    private static let armed = Locked<Set<String>>([])
    private static let delays = Locked<[String: Duration]>([:])
    private static let anyDelay = Atomic<Bool>(false)

    /// Arms delays: reaching a point named here sleeps its thread for the duration.
    public static func armDelays(_ durations: [String: Duration]) {
        delays.withLock { $0 = durations }
        anyDelay.store(!durations.isEmpty, ordering: .releasing)
    }

    /// Sleeps the calling thread if a delay is armed for `name`.
    public static func delay(_ name: String) {
        guard anyDelay.load(ordering: .acquiring), let duration = delays.withLock({ $0[name] }) else { return }
        let (seconds, attoseconds) = duration.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }

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
