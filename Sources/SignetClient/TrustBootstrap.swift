import Foundation
import SignetCore
import X509

/// `signet ca bootstrap`: learns Signet's root over the network and believes it only if its SHA-256
/// fingerprint is the one the user got from the operator out of band (`signet init` and `signet ca
/// fingerprint` print it). The root is fetched without checking TLS, as `step ca bootstrap` does: there
/// is nothing to check it against yet, and the fingerprint is the authentication. Nothing is stored
/// unless it matches.
public enum TrustBootstrap {
    public struct Result: Sendable {
        public let configuration: ClientConfiguration
        public let path: String
        /// False when the same URL and root were already stored.
        public let changed: Bool
        /// For HTTPS: whether the server's TLS certificate chains to the root (if not, later commands need --root).
        public let tlsChainsToRoot: Bool?
    }

    public static func bootstrap(url: String, fingerprint: String, path: String, force: Bool) async throws -> Result {
        let expected = try Fingerprint.parse(fingerprint).hexString
        let base = try AuthorityURLs(baseURL: url).baseURL
        let unverified = try APIClient(base: base, token: nil, trust: .unverifiedForBootstrap)
        let der = try await unverified.getBytes("/ca/root.crt")
        let actual = Fingerprint.sha256(der: der)
        guard actual == expected else {
            throw SignetError(.verificationFailed, "The root at \(base) has SHA-256 fingerprint \(actual), not \(expected); nothing was stored. Check the fingerprint with Signet's operator (`signet ca fingerprint` on the CA host)")
        }
        let root: Certificate
        do { root = try Certificate(derEncoded: der) } catch {
            throw SignetError(.verificationFailed, "\(base)/ca/root.crt has the expected fingerprint but is not a certificate: \(error)")
        }
        guard root.subject == root.issuer, root.publicKey.isValidSignature(root.signature, for: root),
              (try? root.extensions.basicConstraints).map({ if case .isCertificateAuthority = $0 { return true } else { return false } }) == true else {
            throw SignetError(.verificationFailed, "\(base)/ca/root.crt is not a self-signed CA certificate; nothing was stored")
        }
        let configuration = ClientConfiguration(url: base, root: root)
        var tlsChainsToRoot: Bool? = nil
        if base.hasPrefix("https://") {
            do {
                _ = try await APIClient(base: base, token: nil, trust: .roots([root])).getBytes("/healthz")
                tlsChainsToRoot = true
            } catch let error as SignetError where error.code == .verificationFailed {
                tlsChainsToRoot = false
            }
        }
        if let existing = try? ClientConfiguration.load(from: path) {
            if existing == configuration { return Result(configuration: configuration, path: path, changed: false, tlsChainsToRoot: tlsChainsToRoot) }
            guard force else {
                throw SignetError.conflict("\(path) already trusts \(existing.url) (root \(existing.rootFingerprint)); pass --force to replace it")
            }
        }
        try configuration.save(to: path)
        return Result(configuration: configuration, path: path, changed: true, tlsChainsToRoot: tlsChainsToRoot)
    }
}
