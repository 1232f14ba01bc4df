/// One rule of `ci-identities.yaml`: the claims a CI job's identity must have, and what a job that has
/// them may do. Every condition given must hold; a rule must at least name the issuer and the
/// repository, so trusting an issuer never means trusting every repository on it.
public struct CIIdentityRule: Sendable, Hashable {
    /// The conditions on the identity.
    public struct Match: Sendable, Hashable {
        /// Exactly the token's `iss`; must be an issuer of `identity.oidc`.
        public var issuer: String
        /// GitHub's `repository`, GitLab's `project_path`.
        public var repository: ClaimPattern
        /// The full ref (`refs/tags/v*`), for GitLab too (``WorkloadIdentity/ref``).
        public var ref: ClaimPattern?
        /// `branch` or `tag`.
        public var refType: String?
        public var refProtected: Bool?
        public var environment: ClaimPattern?
        /// GitHub's `job_workflow_ref`, GitLab's `ci_config_ref_uri`.
        public var workflowRef: ClaimPattern?
        /// Any other scalar claim, by its name in the token (`runner_environment: github-hosted`).
        public var claims: [String: ClaimPattern]

        func holds(for identity: WorkloadIdentity) -> Bool {
            guard identity.issuer == issuer, let repository = identity.repository, self.repository.matches(repository) else { return false }
            if let ref { guard let value = identity.ref, ref.matches(value) else { return false } }
            if let refType, identity.refType != refType { return false }
            if let refProtected, identity.refProtected != refProtected { return false }
            if let environment { guard let value = identity.environment, environment.matches(value) else { return false } }
            if let workflowRef { guard let value = identity.workflowRef, workflowRef.matches(value) else { return false } }
            for (name, pattern) in claims {
                guard let value = identity.claims[name], pattern.matches(value) else { return false }
            }
            return true
        }
    }

    /// What a matching job gets.
    public struct Grant: Sendable, Hashable {
        public var team: String
        /// Always `ci`: a pipeline is never an admin or a developer.
        public var role: Role
        /// Profiles it may request certificates under (and `ci-release` for release keys).
        public var profiles: [String]
        /// The one release it may make and use keys for; nil: none.
        public var release: ReleaseNameTemplate?
        /// Caps the validity of what it is issued, below the profile's own maximum.
        public var maxValidity: ValidityDuration?
    }

    public let name: String
    public let match: Match
    public let grant: Grant
    /// `file:line` of the rule, for messages.
    public let source: String

    public init(name: String, match: Match, grant: Grant, source: String) {
        self.name = name
        self.match = match
        self.grant = grant
        self.source = source
    }

    public func matches(_ identity: WorkloadIdentity) -> Bool { match.holds(for: identity) }

    /// What this rule grants `identity` (which it matches).
    public func grant(to identity: WorkloadIdentity) -> WorkloadGrant {
        var release: String? = nil
        var refusal: String? = nil
        if let template = grant.release {
            switch template.render(identity) {
            case .success(let name): release = name
            case .failure(let error): refusal = error.reason
            }
        } else {
            refusal = "Rule \(name) grants no release"
        }
        return WorkloadGrant(identity: identity, rule: name, team: grant.team, profiles: grant.profiles, release: release,
                             releaseRefusal: refusal, maxValidity: grant.maxValidity)
    }
}
