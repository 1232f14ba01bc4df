import Foundation

/// A CI job as its verified OIDC ID token describes it: which issuer vouches for it, the token's
/// subject, and the claims that say which repository, ref, workflow and run it is. The claims are
/// kept as the issuer sent them (scalars as text; lists and objects are not kept), and what Signet
/// needs from them is read here in one place for GitHub Actions, GitLab CI and other issuers, so the
/// policy, the certificate extensions and the audit trail agree on what "the repository" is.
public struct WorkloadIdentity: Sendable, Hashable, Codable {
    public let issuer: String
    public let subject: String
    public let provider: OIDCIssuerSettings.Provider
    /// The forge's web address (`https://github.com`, the GitLab instance), for URIs.
    public let serverURL: String
    /// The token's scalar claims (strings; numbers and booleans written as JSON writes them).
    public let claims: [String: String]
    /// The token's `exp`: nothing derived from it (an exchanged Signet token) outlives it.
    public let expiresAt: Date

    public init(issuer: String, subject: String, provider: OIDCIssuerSettings.Provider, serverURL: String, claims: [String: String], expiresAt: Date) {
        self.issuer = issuer
        self.subject = subject
        self.provider = provider
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.claims = claims
        self.expiresAt = expiresAt
    }

    /// The provider an issuer's claims are shaped like: configured, else recognised by the claims only
    /// that provider sends (GitHub's `job_workflow_ref`, GitLab's `ci_config_ref_uri` and `project_path`).
    public static func provider(configured: OIDCIssuerSettings.Provider?, claims: [String: String]) -> OIDCIssuerSettings.Provider {
        if let configured { return configured }
        if claims["job_workflow_ref"] != nil && claims["repository"] != nil { return .github }
        if claims["ci_config_ref_uri"] != nil && claims["project_path"] != nil { return .gitlab }
        return .generic
    }

    /// The web address a provider's URIs start with when config.yaml names none.
    public static func defaultServerURL(provider: OIDCIssuerSettings.Provider, issuer: String) -> String {
        switch provider {
        case .github: return "https://github.com"
        case .gitlab, .generic: return issuer
        }
    }

    func claim(_ name: String) -> String? {
        guard let value = claims[name], !value.isEmpty else { return nil }
        return value
    }

    // MARK: What the policy matches and the audit trail records

    /// `owner/name` on GitHub, `group/project` on GitLab (its `project_path`).
    public var repository: String? {
        switch provider {
        case .github, .generic: return claim("repository") ?? claim("project_path")
        case .gitlab: return claim("project_path")
        }
    }

    /// The full git ref (`refs/tags/v2.0.0`): GitHub's `ref`; GitLab's `ref_path`, or `ref` under
    /// `refs/heads/` or `refs/tags/` as its `ref_type` says (GitLab's `ref` is the bare name).
    public var ref: String? {
        switch provider {
        case .github: return claim("ref")
        case .gitlab:
            if let path = claim("ref_path") { return path }
            guard let name = claim("ref") else { return nil }
            switch claim("ref_type") {
            case "branch": return "refs/heads/" + name
            case "tag": return "refs/tags/" + name
            default: return name
            }
        case .generic: return claim("ref")
        }
    }

    /// `branch` or `tag` (both providers' `ref_type`).
    public var refType: String? { claim("ref_type") }

    /// Whether the ref is protected (both providers send `ref_protected`, as text or a boolean).
    public var refProtected: Bool? {
        switch claim("ref_protected") {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    public var environment: String? { claim("environment") }

    /// The workflow at its ref: GitHub's `job_workflow_ref` (the reusable workflow, if one runs the job),
    /// GitLab's `ci_config_ref_uri`.
    public var workflowRef: String? {
        switch provider {
        case .github, .generic: return claim("job_workflow_ref")
        case .gitlab: return claim("ci_config_ref_uri")
        }
    }

    /// The commit built.
    public var sha: String? { claim("sha") }

    /// The run: GitHub's `run_id`, GitLab's `pipeline_id`.
    public var runID: String? {
        switch provider {
        case .github, .generic: return claim("run_id")
        case .gitlab: return claim("pipeline_id")
        }
    }

    /// The tag's name when the ref is a tag (`v2.0.0` of `refs/tags/v2.0.0`).
    public var tag: String? {
        guard let ref, ref.hasPrefix("refs/tags/") else { return nil }
        let name = String(ref.dropFirst("refs/tags/".count))
        return name.isEmpty ? nil : name
    }

    /// The branch or tag name without its `refs/heads/` or `refs/tags/` prefix.
    public var refName: String? {
        guard let ref else { return nil }
        for prefix in ["refs/heads/", "refs/tags/"] where ref.hasPrefix(prefix) {
            let name = String(ref.dropFirst(prefix.count))
            return name.isEmpty ? nil : name
        }
        return ref
    }

    /// What the audit trail records of this identity on every entry made by it.
    public var auditDetails: [String: String] {
        var details = ["oidc_issuer": issuer, "oidc_subject": subject]
        details["repository"] = repository
        details["ref"] = ref
        details["run_id"] = runID
        details["sha"] = sha
        details["workflow"] = workflowRef
        return details
    }

    /// A readable name for audit entries and certificate records: `ci:acme/app@refs/tags/v2.0.0`.
    public var principalName: String {
        let name = "ci:\(repository ?? subject)\(ref.map { "@" + $0 } ?? "")"
        return String(name.unicodeScalars.filter { $0.properties.generalCategory != .control }.prefix(200).map(Character.init))
    }

    // MARK: What the certificate carries

    /// The SAN URI: the workflow at its ref (what Fulcio puts there), e.g.
    /// `https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v2.0.0`.
    public var subjectAlternativeNameURI: String? {
        switch provider {
        case .github: return claim("job_workflow_ref").map { URIText.encode(serverURL + "/" + $0) }
        case .gitlab: return claim("ci_config_ref_uri").map { URIText.encode("https://" + $0) }
        case .generic: return nil
        }
    }

    /// The values of Fulcio's extensions (sigstore/fulcio docs/oid-info.md, "Mapping OIDC token claims
    /// to Fulcio OIDs"), in OID order; absent and empty values are left out, as Fulcio does.
    public var fulcioValues: [(FulcioExtension, String)] {
        let url = serverURL
        var values: [(FulcioExtension, String?)] = [(.issuerV2, issuer)]
        switch provider {
        case .github:
            values += [
                (.buildSignerURI, claim("job_workflow_ref").map { url + "/" + $0 }),
                (.buildSignerDigest, claim("job_workflow_sha")),
                (.runnerEnvironment, claim("runner_environment")),
                (.sourceRepositoryURI, claim("repository").map { url + "/" + $0 }),
                (.sourceRepositoryDigest, claim("sha")),
                (.sourceRepositoryRef, claim("ref")),
                (.sourceRepositoryIdentifier, claim("repository_id")),
                (.sourceRepositoryOwnerURI, claim("repository_owner").map { url + "/" + $0 }),
                (.sourceRepositoryOwnerIdentifier, claim("repository_owner_id")),
                (.buildConfigURI, claim("workflow_ref").map { url + "/" + $0 }),
                (.buildConfigDigest, claim("workflow_sha")),
                (.buildTrigger, claim("event_name")),
                (.runInvocationURI, claim("repository").flatMap { repository in
                    claim("run_id").map { "\(url)/\(repository)/actions/runs/\($0)/attempts/\(claim("run_attempt") ?? "1")" } }),
                (.sourceRepositoryVisibilityAtSigning, claim("repository_visibility")),
                (.deploymentEnvironment, claim("environment")),
            ]
        case .gitlab:
            values += [
                (.buildSignerURI, claim("ci_config_ref_uri").map { "https://" + $0 }),
                (.buildSignerDigest, claim("ci_config_sha")),
                (.runnerEnvironment, claim("runner_environment")),
                (.sourceRepositoryURI, claim("project_path").map { url + "/" + $0 }),
                (.sourceRepositoryDigest, claim("sha")),
                (.sourceRepositoryRef, ref),
                (.sourceRepositoryIdentifier, claim("project_id")),
                (.sourceRepositoryOwnerURI, claim("namespace_path").map { url + "/" + $0 }),
                (.sourceRepositoryOwnerIdentifier, claim("namespace_id")),
                (.buildConfigURI, claim("ci_config_ref_uri").map { "https://" + $0 }),
                (.buildConfigDigest, claim("ci_config_sha")),
                (.buildTrigger, claim("pipeline_source")),
                (.runInvocationURI, claim("project_path").flatMap { project in claim("job_id").map { "\(url)/\(project)/-/jobs/\($0)" } }),
                (.sourceRepositoryVisibilityAtSigning, claim("project_visibility")),
                (.deploymentEnvironment, claim("environment")),
            ]
        case .generic:
            values += [(.sourceRepositoryDigest, sha), (.sourceRepositoryRef, ref)]
        }
        values.append((.tokenSubject, subject))
        return values.compactMap { oid, value in value.flatMap { $0.isEmpty ? nil : (oid, $0) } }
    }
}
