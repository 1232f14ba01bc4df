import Foundation
import FuzzSupport
import SignetCore

/// The CI identity policy (`Profiles/ci-identities.yaml`), parsed and then matched against a GitHub
/// and a GitLab identity. A policy that loads keeps the limits the parser promises, and matching and
/// granting never trap whatever the patterns and templates are.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIIdentities(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    guard let policy = try? CIIdentityPolicyParser.parse(yaml: input.text, file: "Profiles/ci-identities.yaml") else { return 0 }
    require(policy.rules.count <= CIIdentityPolicyParser.maximumRules, "too many rules")
    for rule in policy.rules {
        require(rule.grant.role == .ci, "a rule granted a role other than ci")
        require(!rule.grant.profiles.isEmpty, "a rule granted no profile")
        require(OIDCIssuerSettings.isAcceptableURL(rule.match.issuer), "a rule names an unacceptable issuer")
    }
    for identity in identities {
        guard let grant = try? policy.grant(for: identity) else { continue }
        require(grant.principal.role == .ci, "a grant's principal is not ci")
        if let release = grant.release { require((try? NameRules.validateRelease(release)) != nil, "a granted release is not a release name") }
    }
    return 0
}

let identities = [
    WorkloadIdentity(issuer: "https://token.actions.githubusercontent.com", subject: "repo:acme/payments:ref:refs/tags/v2.0.0", provider: .github,
                     serverURL: "https://github.com",
                     claims: ["repository": "acme/payments", "ref": "refs/tags/v2.0.0", "ref_type": "tag", "ref_protected": "true", "sha": "c040cae0f0dc81641728557b80f09cfa23b83fe5",
                              "job_workflow_ref": "acme/payments/.github/workflows/release.yml@refs/tags/v2.0.0", "run_id": "42", "environment": "release",
                              "runner_environment": "github-hosted"],
                     expiresAt: Date(timeIntervalSince1970: 2_000_000_000)),
    WorkloadIdentity(issuer: "https://gitlab.com", subject: "project_path:acme/tools:ref_type:branch:ref:main", provider: .gitlab, serverURL: "https://gitlab.com",
                     claims: ["project_path": "acme/tools", "ref": "main", "ref_type": "branch", "ref_protected": "false", "pipeline_id": "574",
                              "ci_config_ref_uri": "gitlab.com/acme/tools//.gitlab-ci.yml@refs/heads/main"],
                     expiresAt: Date(timeIntervalSince1970: 2_000_000_000)),
]
