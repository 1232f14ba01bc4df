import Foundation
import SignetCore
import X509

/// A home opened without the HSM: enough to list, show, revoke and export CA certificates. Auditors
/// and scripts use these commands without the token PIN.
public struct SignetStoreView: Sendable {
    public let home: SignetHome
    public let store: any SignetStorage
    public let clock: any SignetClock

    public func revoke(serial: String, reason: RevocationReason, by principal: Principal) async throws -> CertificateRecord {
        try await Revocation.revoke(serial: serial, reason: reason, by: principal, repository: store, clock: clock)
    }

    /// The authority named `name`, or the one an alias (``AuthorityAlias``) stands for.
    public func authority(_ name: String) async throws -> AuthorityRecord {
        let all = try await store.authorities()
        guard let match = AuthorityAlias.resolve(name, among: all) else {
            if AuthorityAlias.isAlias(name) { throw SignetError.notFound("No active \(name) authority; run `signet init`") }
            throw SignetError.notFound("No authority named '\(name)'; known: root, issuing, ocsp, tsa, \(all.map(\.name).joined(separator: ", "))")
        }
        return match
    }
}

extension SignetRuntime {
    /// Opens the home's store only (no HSM, no PIN).
    public static func openStore(_ home: SignetHome, clock: any SignetClock = SystemClock()) async throws -> SignetStoreView {
        SignetStoreView(home: home, store: try await openStorage(home).store, clock: clock)
    }
}
