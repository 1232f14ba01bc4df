/// The files one identity lives in, named from one base as `signet request --out dev` writes them:
/// `dev.key` (the private key, mode 0600), `dev.crt` (the certificate), `dev-chain.pem` (certificate,
/// issuing CA, root: what osslsigncode's `-certs` takes) and `dev.p12` (all of it for jarsigner and
/// signtool). `signet renew dev.crt` finds the others from the certificate's name.
public struct CredentialPaths: Sendable, Equatable {
    public let base: String
    public var key: String { base + ".key" }
    public var certificate: String { base + ".crt" }
    public var chain: String { base + "-chain.pem" }
    public var keystore: String { base + ".p12" }
    /// The alias inside the keystore: the base's last path component (`dev`).
    public var alias: String { String(base.split(separator: "/").last ?? "signet") }

    public init(base: String) {
        self.base = base
    }

    /// The paths around a certificate file: `dev.crt` (or `dev.pem`) has base `dev`.
    public init(certificate path: String) {
        for suffix in [".crt", ".pem", ".cer"] where path.hasSuffix(suffix) {
            self.base = String(path.dropLast(suffix.count))
            return
        }
        self.base = path
    }
}
