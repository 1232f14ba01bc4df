import Foundation
import SignetCore
import SignetStore
import X509

/// A home opened without the HSM: enough to list, show, revoke and export CA certificates. Auditors
/// and scripts use these commands without the token PIN.
public struct SignetStoreView: Sendable {
    public let home: SignetHome
    public let store: SQLiteStore
    public let clock: any SignetClock

    public func revoke(serial: String, reason: RevocationReason, by principal: Principal) async throws -> CertificateRecord {
        try await Revocation.revoke(serial: serial, reason: reason, by: principal, repository: store, clock: clock)
    }

    /// The authority named `name`, or the newest active one made under the `root-ca` / `issuing-ca`
    /// profile when `name` is `root` or `issuing`.
    public func authority(_ name: String) async throws -> AuthorityRecord {
        let all = try await store.authorities()
        let aliases = ["root": "root-ca", "issuing": "issuing-ca", "ocsp": "ocsp-signer", "tsa": "timestamping"]
        if let profile = aliases[name] {
            guard let newest = all.filter({ $0.profile == profile && $0.state == .active }).max(by: { $0.generation < $1.generation }) else {
                throw SignetError.notFound("No active \(name) authority; run `signet init`")
            }
            return newest
        }
        guard let match = all.first(where: { $0.name == name }) else {
            throw SignetError.notFound("No authority named '\(name)'; known: root, issuing, \(all.map(\.name).joined(separator: ", "))")
        }
        return match
    }
}

extension SignetRuntime {
    /// Opens the home's store only (no HSM, no PIN).
    public static func openStore(_ home: SignetHome, clock: any SignetClock = SystemClock()) async throws -> SignetStoreView {
        guard FileManager.default.fileExists(atPath: home.databasePath) else {
            throw SignetError.notFound("No store at \(home.databasePath); run `signet init`")
        }
        return SignetStoreView(home: home, store: try SQLiteStore(path: home.databasePath), clock: clock)
    }
}
