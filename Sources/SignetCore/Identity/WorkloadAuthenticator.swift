import Foundation

/// From a CI job's ID token to what the job may do: the token verified (``IDTokenVerifier``), then the
/// first matching rule of the policy (``CIIdentityPolicy``). The HTTP server calls it for a bearer
/// that is an ID token and for the exchange at `POST /api/v1/auth/oidc`; a Signet token obtained by
/// that exchange carries the identity, and its grant is decided again by ``grant(for:)`` on each use,
/// so a policy edit (SIGHUP) applies to tokens already handed out.
public struct WorkloadAuthenticator: Sendable {
    public let verifier: IDTokenVerifier
    /// The rules of ci-identities.yaml in effect; replaced as a whole when `signet serve` reloads on SIGHUP.
    private let currentPolicy: Locked<CIIdentityPolicy>

    public init(verifier: IDTokenVerifier, policy: CIIdentityPolicy) {
        self.verifier = verifier
        self.currentPolicy = Locked(policy)
    }

    /// The claims policy in effect now.
    public var policy: CIIdentityPolicy { currentPolicy.withLock { $0 } }

    /// Puts a new, already validated policy in effect for every token presented from now on; a
    /// Signet token exchanged earlier is judged by the new rules at its next use.
    public func replacePolicy(_ policy: CIIdentityPolicy) {
        currentPolicy.withLock { $0 = policy }
    }

    /// A refused token: the error to answer with, and what the audit entry records of it. The details
    /// of a token that did not verify are what it *claimed* (`claimed_…`); of one that did, what it is.
    public struct Refusal: Error, SignetErrorConvertible, Sendable {
        public let error: SignetError
        public let details: [String: String]
        public var asSignetError: SignetError { error }

        public init(error: SignetError, details: [String: String]) {
            self.error = error
            self.details = details
        }
    }

    /// The grant for a presented ID token, or a ``Refusal``.
    public func authenticate(_ token: String) async throws -> WorkloadGrant {
        let identity: WorkloadIdentity
        do {
            identity = try await verifier.verify(token)
        } catch let error as SignetError {
            throw Refusal(error: error, details: Self.claimedDetails(token))
        }
        do {
            return try self.policy.grant(for: identity)
        } catch let error as SignetError {
            throw Refusal(error: error, details: identity.auditDetails)
        }
    }

    /// The grant for an identity verified earlier (an exchanged Signet token's).
    public func grant(for identity: WorkloadIdentity) throws -> WorkloadGrant {
        try policy.grant(for: identity)
    }

    /// What an unverified token claims, cut short and marked as claimed, for the audit entry of its refusal.
    static func claimedDetails(_ token: String) -> [String: String] {
        guard let payload = IDTokenVerifier.unverifiedClaims(token) else { return [:] }
        var details: [String: String] = [:]
        for (claim, key) in [("iss", "claimed_issuer"), ("sub", "claimed_subject"), ("repository", "claimed_repository"),
                             ("project_path", "claimed_repository"), ("ref", "claimed_ref"), ("run_id", "claimed_run_id"), ("pipeline_id", "claimed_run_id")] {
            if let value = payload.claims[claim], details[key] == nil { details[key] = String(value.prefix(200)) }
        }
        return details
    }
}
