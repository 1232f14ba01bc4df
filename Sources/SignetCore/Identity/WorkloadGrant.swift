/// What a CI job may do, decided once per request from its verified identity by the first rule of
/// `ci-identities.yaml` that matches it, and carried by its ``Principal`` to every check
/// (``AccessPolicy``), certificate (the identity's SAN URI and extensions) and audit entry.
public struct WorkloadGrant: Sendable, Hashable, Codable {
    public let identity: WorkloadIdentity
    /// The rule that matched, for the audit trail.
    public let rule: String
    public let team: String
    public let profiles: [String]
    /// The release the rule derives for this job; the only one whose key it may make or use.
    public let release: String?
    /// Why there is no release (the ref is not a tag, the template gives no valid name).
    public let releaseRefusal: String?
    public let maxValidity: ValidityDuration?

    public init(identity: WorkloadIdentity, rule: String, team: String, profiles: [String], release: String?, releaseRefusal: String?,
                maxValidity: ValidityDuration?) {
        self.identity = identity
        self.rule = rule
        self.team = team
        self.profiles = profiles
        self.release = release
        self.releaseRefusal = releaseRefusal
        self.maxValidity = maxValidity
    }

    /// The principal requests run as: role `ci`, the rule's team, named after the identity.
    public var principal: Principal {
        Principal(name: identity.principalName, role: .ci, team: team, workload: self)
    }
}
