import Foundation
import SignetCore

/// Everything the HTTP server needs, assembled by the caller (the `signet serve` command or a test)
/// from an opened home. The server sees only Core types and protocols: it cannot reach the HSM
/// except through the signing keys the certificate authority already holds.
public struct SignetServices: Sendable {
    /// Everything the server reads and writes through the store.
    public typealias Repository = SignetStorage

    public let ca: CertificateAuthority
    public let repository: any Repository
    public let tokens: APITokens
    public let clock: any SignetClock
    /// CRLs and OCSP.
    public let revocation: RevocationPublisher
    /// The RFC 3161 time-stamp authority.
    public let timestamping: TimestampAuthority
    /// Per-release CI keys and remote signing.
    public let releases: ReleaseSigning
    /// Key rotation and retirement.
    public let rotation: RotationScheduler

    /// The audit trail's checkpoints and verification.
    public let trail: AuditTrail
    /// Caps failed authentications per client address.
    public let authThrottle: AuthFailureThrottle
    /// Caps, per client address, the anonymous requests that cost an HSM signature (time-stamps,
    /// OCSP answers that are not cached).
    public let signingRateLimiter: ClientRateLimiter
    /// CI workload identity (OIDC ID tokens and the policy of ci-identities.yaml); nil when config.yaml
    /// trusts no issuer.
    public let identity: WorkloadAuthenticator?

    public init(ca: CertificateAuthority, repository: any Repository, revocation: RevocationPublisher,
                timestamping: TimestampAuthority, trail: AuditTrail, authThrottle: AuthFailureThrottle = AuthFailureThrottle(),
                signingRateLimiter: ClientRateLimiter = ClientRateLimiter(), identity: WorkloadAuthenticator? = nil) {
        self.identity = identity
        self.authThrottle = authThrottle
        self.signingRateLimiter = signingRateLimiter
        self.timestamping = timestamping
        self.releases = ReleaseSigning(ca: ca)
        self.trail = trail
        self.rotation = RotationScheduler(ca: ca)
        self.ca = ca
        self.repository = repository
        self.revocation = revocation
        self.clock = ca.clock
        self.tokens = APITokens(repository: repository, clock: ca.clock)
    }
}

extension SignetServices {
    /// Asks the token for its key list, on a signing thread like every token call: the one check
    /// that the HSM answers, behind `/healthz` and `signet_hsm_up`. Throws the HSM's error.
    func probeHSM() async throws {
        let custodian = ca.custodian
        _ = try await ca.signing.run(.always) { try custodian.listKeys() }
    }
}
