import Yams

/// Turns `Profiles/ci-identities.yaml` into a ``CIIdentityPolicy``, checked the way profiles are
/// (``ProfileParser``): every refusal names file, line and reason, unknown and duplicate keys are
/// refused, so a misspelt `ref_protcted` cannot silently drop a condition.
///
/// ```yaml
/// rules:
///   - name: payments-release
///     match:
///       issuer: https://token.actions.githubusercontent.com
///       repository: acme/payments          # GitLab: project_path
///       ref: refs/tags/v*
///       ref_type: tag
///       ref_protected: true
///       environment: release
///       job_workflow_ref: acme/payments/.github/workflows/release.yml@refs/tags/*   # GitLab: ci_config_ref_uri
///       claims: {runner_environment: github-hosted}
///     grant:
///       team: payments
///       role: ci
///       profiles: [ci-release]
///       release: "{tag}"
///       max_validity: 7d
/// ```
public enum CIIdentityPolicyParser {
    /// The file's name in the profiles directory; the profile loader leaves it out.
    public static let fileName = "ci-identities.yaml"
    /// More rules than anyone maintains by hand; each costs a match per token.
    public static let maximumRules = 1000

    public static func parse(yaml: String, file: String) throws -> CIIdentityPolicy {
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else { return CIIdentityPolicy(rules: [], source: file) }
            root = composed
        } catch let error as YamlError {
            throw SignetError.configuration("\(file): \(ProfileParser.describe(error))")
        } catch {
            throw SignetError.configuration("\(file): \(error)")
        }
        let reader = ProfileParser.Reader(file: file)
        let top = try reader.mapping(root, "the CI identity policy", allowed: ["rules"])
        guard let rulesNode = top["rules"] else { return CIIdentityPolicy(rules: [], source: file) }
        if case .scalar(let scalar) = rulesNode, scalar.string.isEmpty || scalar.string == "null" || scalar.string == "~" {
            return CIIdentityPolicy(rules: [], source: file)
        }
        guard case .sequence(let sequence) = rulesNode else { throw reader.fail(rulesNode, "'rules' must be a list of rules") }
        guard sequence.count <= maximumRules else { throw reader.fail(rulesNode, "at most \(maximumRules) rules are allowed, got \(sequence.count)") }
        var rules: [CIIdentityRule] = []
        var names = Set<String>()
        for node in sequence {
            let rule = try parseRule(node, reader: reader)
            guard names.insert(rule.name).inserted else { throw reader.fail(node, "rule name '\(rule.name)' is used twice") }
            rules.append(rule)
        }
        return CIIdentityPolicy(rules: rules, source: file)
    }

    static func parseRule(_ node: Node, reader: ProfileParser.Reader) throws -> CIIdentityRule {
        let map = try reader.mapping(node, "a rule", allowed: ["name", "match", "grant"])
        let name = try reader.requiredString(map, "name")
        guard NameRules.isSimpleName(name, maxLength: 63, allowUppercase: false) else {
            throw reader.fail(map["name"], "rule name '\(name)' must be 1-63 characters [a-z0-9._-]")
        }
        guard let matchNode = map["match"] else { throw reader.fail(node, "rule \(name): missing 'match'") }
        guard let grantNode = map["grant"] else { throw reader.fail(node, "rule \(name): missing 'grant'") }
        let location = node.mark.map { "\(reader.file):\($0.line)" } ?? reader.file
        return CIIdentityRule(name: name, match: try parseMatch(matchNode, rule: name, reader: reader),
                              grant: try parseGrant(grantNode, rule: name, reader: reader), source: location)
    }

    static func parseMatch(_ node: Node, rule: String, reader: ProfileParser.Reader) throws -> CIIdentityRule.Match {
        let map = try reader.mapping(node, "match of rule \(rule)", allowed: [
            "issuer", "repository", "project_path", "ref", "ref_type", "ref_protected", "environment", "job_workflow_ref", "ci_config_ref_uri", "claims",
        ])
        let issuer = try reader.requiredString(map, "issuer")
        guard OIDCIssuerSettings.isAcceptableURL(issuer) else {
            throw reader.fail(map["issuer"], "issuer must be the issuer URL exactly as in identity.oidc, got \(SignetError.quote(issuer))")
        }
        func pattern(_ key: String) throws -> ClaimPattern? {
            guard let text = try reader.string(map, key) else { return nil }
            do { return try ClaimPattern(text) } catch let error as SignetError { throw reader.fail(map[key], "\(key): \(error.reason)") }
        }
        func oneOf(_ first: String, _ second: String) throws -> ClaimPattern? {
            if map[first] != nil && map[second] != nil {
                throw reader.fail(map[second], "give \(first) or \(second), not both (they name the same thing on GitHub and GitLab)")
            }
            return try pattern(first) ?? pattern(second)
        }
        guard let repository = try oneOf("repository", "project_path") else {
            throw reader.fail(node, "rule \(rule): match must name the repository (or project_path): trusting an issuer must not mean trusting every repository on it")
        }
        var refType: String? = nil
        if let text = try reader.string(map, "ref_type") {
            guard text == "branch" || text == "tag" else { throw reader.fail(map["ref_type"], "ref_type must be branch or tag, got \(SignetError.quote(text))") }
            refType = text
        }
        var refProtected: Bool? = nil
        if let text = try reader.string(map, "ref_protected") {
            switch text {
            case "true": refProtected = true
            case "false": refProtected = false
            default: throw reader.fail(map["ref_protected"], "ref_protected must be true or false, got \(SignetError.quote(text))")
            }
        }
        var claims: [String: ClaimPattern] = [:]
        if let claimsNode = map["claims"] {
            guard let claimsMap = claimsNode.mapping else { throw reader.fail(claimsNode, "claims must be a mapping of claim name to pattern") }
            for (keyNode, valueNode) in claimsMap {
                guard let claim = keyNode.string, !claim.isEmpty, claim.utf8.count <= 64 else { throw reader.fail(keyNode, "claim names must be 1-64 characters") }
                guard !["iss", "aud", "exp", "nbf", "iat"].contains(claim) else {
                    throw reader.fail(keyNode, "claim \(claim) is checked by Signet itself; match the issuer with 'issuer'")
                }
                guard claims[claim] == nil else { throw reader.fail(keyNode, "duplicate claim '\(claim)'") }
                guard case .scalar(let scalar) = valueNode else { throw reader.fail(valueNode, "claims.\(claim) must be a single value") }
                do { claims[claim] = try ClaimPattern(scalar.string) } catch let error as SignetError { throw reader.fail(valueNode, "claims.\(claim): \(error.reason)") }
            }
        }
        return CIIdentityRule.Match(
            issuer: issuer, repository: repository, ref: try pattern("ref"), refType: refType, refProtected: refProtected,
            environment: try pattern("environment"), workflowRef: try oneOf("job_workflow_ref", "ci_config_ref_uri"), claims: claims)
    }

    static func parseGrant(_ node: Node, rule: String, reader: ProfileParser.Reader) throws -> CIIdentityRule.Grant {
        let map = try reader.mapping(node, "grant of rule \(rule)", allowed: ["team", "role", "profiles", "release", "max_validity"])
        let team = try reader.requiredString(map, "team")
        do { try NameRules.validateTeam(team) } catch let error as SignetError { throw reader.fail(map["team"], error.reason) }
        let role = try reader.string(map, "role") ?? Role.ci.rawValue
        guard role == Role.ci.rawValue else {
            throw reader.fail(map["role"], "a CI identity can only be granted role ci, got \(SignetError.quote(role))")
        }
        let profiles = try reader.strings(map, "profiles", required: true)
        guard !profiles.isEmpty else { throw reader.fail(map["profiles"], "profiles must list at least one profile (ci-release for release keys)") }
        for (profile, profileNode) in profiles where !NameRules.isSimpleName(profile, maxLength: 63, allowUppercase: false) {
            throw reader.fail(profileNode, "'\(profile)' is not a profile name")
        }
        var release: ReleaseNameTemplate? = nil
        if let text = try reader.string(map, "release") {
            do { release = try ReleaseNameTemplate(text) } catch let error as SignetError { throw reader.fail(map["release"], "release: \(error.reason)") }
        }
        return CIIdentityRule.Grant(team: team, role: .ci, profiles: profiles.map(\.0), release: release,
                                    maxValidity: try reader.duration(map, "max_validity"))
    }
}
