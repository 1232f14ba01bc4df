import X509

/// Whom a client believes when it talks HTTPS to Signet (or its TSA).
public enum TLSTrust: Sendable {
    /// The operating system's trust store: for a Signet behind a certificate from a public or corporate CA.
    case system
    /// Only these roots (the bootstrapped root, or `--root FILE`): the server's certificate must chain to one.
    case roots([Certificate])
    /// No verification at all. Only `signet ca bootstrap` uses it, to fetch the root it then checks
    /// against a fingerprint the user got from the operator: the fingerprint is the authentication.
    case unverifiedForBootstrap
}
