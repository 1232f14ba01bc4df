/// The rules of `ci-identities.yaml`, in file order: the first rule whose conditions a job's identity
/// meets decides what it may do; an identity no rule matches may do nothing.
public struct CIIdentityPolicy: Sendable, Hashable {
    public let rules: [CIIdentityRule]
    /// The file the rules came from, for messages.
    public let source: String

    public init(rules: [CIIdentityRule], source: String) {
        self.rules = rules
        self.source = source
    }

    /// The grant of the first matching rule; `oidc_no_matching_rule` (403) when none matches. The
    /// message says what the identity was, never what the rules are.
    public func grant(for identity: WorkloadIdentity) throws -> WorkloadGrant {
        guard let rule = rules.first(where: { $0.matches(identity) }) else {
            throw SignetError(.oidcNoMatchingRule, "No rule of \(source.split(separator: "/").last.map(String.init) ?? source) admits "
                + "\(identity.repository.map { "repository \(SignetError.quote($0))" } ?? "subject \(SignetError.quote(identity.subject))")"
                + "\(identity.ref.map { " at \(SignetError.quote($0))" } ?? "") from \(identity.issuer)")
        }
        return rule.grant(to: identity)
    }

    /// Checks the rules against the rest of the configuration: each names a configured issuer, and
    /// each profile it grants exists and is open to the `ci` role and the rule's team.
    public func validate(issuers: [OIDCIssuerSettings], profiles: ProfileSet) throws {
        let known = Set(issuers.map(\.issuer))
        for rule in rules {
            guard known.contains(rule.match.issuer) else {
                throw SignetError.configuration("\(rule.source): rule \(rule.name) names issuer \(rule.match.issuer), which identity.oidc in config.yaml does not list"
                    + (known.isEmpty ? " (it lists none)" : " (it lists \(known.sorted().joined(separator: ", ")))"))
            }
            for name in rule.grant.profiles {
                guard let profile = profiles.profiles[name] else {
                    throw SignetError.configuration("\(rule.source): rule \(rule.name) grants profile '\(name)', which is not loaded; known: \(profiles.profiles.keys.sorted().joined(separator: ", "))")
                }
                guard profile.allowedRoles.contains(.ci), profile.allowedTeams.allows(rule.grant.team) else {
                    throw SignetError.configuration("\(rule.source): rule \(rule.name) grants profile '\(name)', which role ci of team \(rule.grant.team) may not use (its access block)")
                }
            }
        }
    }

    /// No rules: nobody is admitted by an ID token.
    public static let empty = CIIdentityPolicy(rules: [], source: "ci-identities.yaml")
}
