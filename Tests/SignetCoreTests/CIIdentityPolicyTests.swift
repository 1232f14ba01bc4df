import Foundation
@testable import SignetCore
import Testing
import X509

/// The claims policy of `ci-identities.yaml`, pure: parsing (line-numbered refusals, unknown keys),
/// glob matching, first-match-wins, release templates, and how GitHub's and GitLab's claims map to
/// repository, ref, run, SAN URI and Fulcio's extensions.
@Suite struct CIIdentityPolicyTests {
    static let github = "https://token.actions.githubusercontent.com"
    static let gitlab = "https://gitlab.example.com"

    static let policyYAML = """
        rules:
          - name: payments-release
            match:
              issuer: https://token.actions.githubusercontent.com
              repository: acme/payments
              ref: refs/tags/v*
              ref_type: tag
              ref_protected: true
              environment: release
              job_workflow_ref: acme/payments/.github/workflows/release.yml@refs/tags/*
              claims: {runner_environment: github-hosted}
            grant:
              team: payments
              role: ci
              profiles: [ci-release]
              release: "{tag}"
              max_validity: 2d
          - name: payments-nightly
            match:
              issuer: https://token.actions.githubusercontent.com
              repository: acme/payments
              ref: refs/heads/main
            grant:
              team: payments
              profiles: [ci-release]
              release: "nightly-{short_sha}"
          - name: tools
            match:
              issuer: https://gitlab.example.com
              project_path: acme/**
              ref: refs/tags/*
              ref_protected: true
            grant:
              team: tools
              profiles: [ci-release, prerelease-codesign]
              release: "{tag}"
        """

    /// The claims GitHub Actions sends for a tag push from a release environment.
    static func githubClaims(repository: String = "acme/payments", ref: String = "refs/tags/v2.0.0", environment: String? = "release",
                             refProtected: String = "true", runner: String = "github-hosted") -> [String: String] {
        let refType = ref.hasPrefix("refs/tags/") ? "tag" : "branch"
        var claims = [
            "iss": github, "sub": "repo:\(repository):environment:\(environment ?? "none")", "aud": "signet", "ref": ref,
            "ref_protected": refProtected, "ref_type": refType, "sha": "c040cae0f0dc81641728557b80f09cfa23b83fe5", "repository": repository,
            "repository_owner": "acme", "repository_owner_id": "2020", "repository_visibility": "private", "repository_id": "424242",
            "actor_id": "1001", "actor": "octocat", "workflow": "Release", "workflow_ref": "\(repository)/.github/workflows/release.yml@\(ref)",
            "workflow_sha": "c040cae0f0dc81641728557b80f09cfa23b83fe5", "head_ref": "", "base_ref": "", "event_name": "push",
            "job_workflow_ref": "\(repository)/.github/workflows/release.yml@\(ref)", "job_workflow_sha": "c040cae0f0dc81641728557b80f09cfa23b83fe5",
            "runner_environment": runner, "run_id": "9187654321", "run_number": "42", "run_attempt": "2",
        ]
        claims["environment"] = environment
        return claims
    }

    static func githubIdentity(_ claims: [String: String] = githubClaims()) -> WorkloadIdentity {
        WorkloadIdentity(issuer: github, subject: claims["sub"] ?? "", provider: .github, serverURL: "https://github.com", claims: claims,
                         expiresAt: Date(timeIntervalSince1970: 2_000_000_000))
    }

    static func gitlabIdentity(project: String = "acme/tools/cli", refName: String = "v3.1.0", refType: String = "tag", refProtected: String = "true") -> WorkloadIdentity {
        let refPath = (refType == "tag" ? "refs/tags/" : "refs/heads/") + refName
        let claims = [
            "iss": gitlab, "sub": "project_path:\(project):ref_type:\(refType):ref:\(refName)", "namespace_id": "72", "namespace_path": "acme",
            "project_id": "20", "project_path": project, "user_id": "1", "user_login": "sample-user", "pipeline_id": "574", "pipeline_source": "push",
            "job_id": "302", "ref": refName, "ref_type": refType, "ref_path": refPath, "ref_protected": refProtected, "runner_id": "27",
            "runner_environment": "gitlab-hosted", "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc", "project_visibility": "internal",
            "ci_config_ref_uri": "gitlab.example.com/\(project)//.gitlab-ci.yml@\(refPath)", "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        ]
        return WorkloadIdentity(issuer: gitlab, subject: claims["sub"]!, provider: .gitlab, serverURL: gitlab, claims: claims,
                                expiresAt: Date(timeIntervalSince1970: 2_000_000_000))
    }

    static func policy() throws -> CIIdentityPolicy {
        try CIIdentityPolicyParser.parse(yaml: policyYAML, file: "Profiles/ci-identities.yaml")
    }

    @Test("the shipped ci-identities.yaml parses (with no rules: nobody is admitted until an operator writes one)")
    func shippedPolicy() throws {
        let text = try String(contentsOfFile: ProfileParserTests.profilesDirectory + "/ci-identities.yaml", encoding: .utf8)
        let policy = try CIIdentityPolicyParser.parse(yaml: text, file: "Profiles/ci-identities.yaml")
        #expect(policy.rules.isEmpty)
        #expect(throws: SignetError.self) { try policy.grant(for: Self.githubIdentity()) }
        // The examples in its comments are a valid policy once uncommented.
        let examples = text.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("# rules:") }
            .map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : ($0 == "#" ? "" : String($0)) }
            .joined(separator: "\n")
        let uncommented = try CIIdentityPolicyParser.parse(yaml: examples, file: "examples")
        #expect(uncommented.rules.map(\.name) == ["payments-release", "tools-protected-tags"])
    }

    @Test("a GitHub release job on a matching tag gets its rule's team, profiles, release and validity cap")
    func githubGrant() throws {
        let grant = try Self.policy().grant(for: Self.githubIdentity())
        #expect(grant.rule == "payments-release")
        #expect(grant.team == "payments")
        #expect(grant.profiles == ["ci-release"])
        #expect(grant.release == "v2.0.0")
        #expect(grant.maxValidity == .days(2))
        #expect(grant.principal.role == .ci && grant.principal.team == "payments")
        #expect(grant.principal.name == "ci:acme/payments@refs/tags/v2.0.0")
    }

    @Test("a reload replaces the rules for every copy of the authenticator: a job refused under the old rules is granted under the new, and the reverse")
    func replacedPolicy() throws {
        struct NoKeys: JWKSFetching {
            func fetchKeySet(for issuer: OIDCIssuerSettings) async throws -> [UInt8] { throw SignetError.notFound("no keys in this test") }
        }
        let verifier = IDTokenVerifier(issuers: [], keys: JWKSCache(fetcher: NoKeys(), clock: SystemClock()), clock: SystemClock())
        let authenticator = WorkloadAuthenticator(verifier: verifier, policy: CIIdentityPolicy(rules: [], source: "empty"))
        let copy = authenticator  // what the server's services hold
        #expect(throws: SignetError.self) { try copy.grant(for: Self.githubIdentity()) }
        authenticator.replacePolicy(try Self.policy())
        #expect(try copy.grant(for: Self.githubIdentity()).rule == "payments-release")
        authenticator.replacePolicy(CIIdentityPolicy(rules: [], source: "empty"))
        #expect(throws: SignetError.self) { try copy.grant(for: Self.githubIdentity()) }
    }

    @Test("first matching rule wins; a branch job falls through to the nightly rule and gets its templated release")
    func firstMatchWins() throws {
        let grant = try Self.policy().grant(for: Self.githubIdentity(Self.githubClaims(ref: "refs/heads/main", environment: nil)))
        #expect(grant.rule == "payments-nightly")
        #expect(grant.release == "nightly-c040cae0")
        #expect(grant.maxValidity == nil)
    }

    @Test("each condition of a rule holds or no access: repository, ref, ref_type, ref_protected, environment, workflow, extra claims",
          arguments: [
            ("another repository", githubClaims(repository: "acme/paymentsx")),
            ("another owner", githubClaims(repository: "evil/payments")),
            ("a branch outside the rules", githubClaims(ref: "refs/heads/feature", environment: "release")),
            ("a tag not starting with v", githubClaims(ref: "refs/tags/x2.0.0", environment: nil)),
            ("an unprotected tag", githubClaims(refProtected: "false")),
            ("another environment", githubClaims(environment: "staging")),
            ("a self-hosted runner", githubClaims(runner: "self-hosted")),
          ])
    func conditions(_ what: String, _ claims: [String: String]) throws {
        let policy = try Self.policy()
        let error = try #require(throws: SignetError.self) { try policy.grant(for: Self.githubIdentity(claims)) }
        #expect(error.code == .oidcNoMatchingRule, "\(what)")
        #expect(error.code.kind == .forbidden)
        #expect(error.reason.contains("ci-identities.yaml"), "\(error.reason)")
    }

    @Test("a job whose workflow file is not the release workflow is refused even on the right tag")
    func workflowCondition() throws {
        var claims = Self.githubClaims()
        claims["job_workflow_ref"] = "acme/payments/.github/workflows/other.yml@refs/tags/v2.0.0"
        #expect(throws: SignetError.self) { try Self.policy().grant(for: Self.githubIdentity(claims)) }
        // A reusable workflow from another repository does not match either.
        claims["job_workflow_ref"] = "evil/tools/.github/workflows/release.yml@refs/tags/v2.0.0"
        #expect(throws: SignetError.self) { try Self.policy().grant(for: Self.githubIdentity(claims)) }
    }

    @Test("the issuer must be exactly the rule's: a GitLab token for a GitHub repository name matches no GitHub rule")
    func issuerCondition() throws {
        var claims = Self.githubClaims()
        claims["iss"] = "https://token.actions.githubusercontent.com.evil.example"
        let identity = WorkloadIdentity(issuer: claims["iss"]!, subject: "x", provider: .github, serverURL: "https://github.com", claims: claims,
                                        expiresAt: Date(timeIntervalSince1970: 2_000_000_000))
        #expect(throws: SignetError.self) { try Self.policy().grant(for: identity) }
    }

    @Test("GitLab: project_path with **, the full ref from ref_path, pipeline as run; an unprotected tag is refused")
    func gitlabGrant() throws {
        let identity = Self.gitlabIdentity()
        #expect(identity.repository == "acme/tools/cli")
        #expect(identity.ref == "refs/tags/v3.1.0")
        #expect(identity.runID == "574")
        #expect(identity.workflowRef == "gitlab.example.com/acme/tools/cli//.gitlab-ci.yml@refs/tags/v3.1.0")
        let grant = try Self.policy().grant(for: identity)
        #expect(grant.rule == "tools" && grant.release == "v3.1.0" && grant.team == "tools")
        #expect(throws: SignetError.self) { try Self.policy().grant(for: Self.gitlabIdentity(refProtected: "false")) }
        #expect(throws: SignetError.self) { try Self.policy().grant(for: Self.gitlabIdentity(refName: "main", refType: "branch")) }
    }

    @Test("a GitLab token without ref_path still has its full ref, from ref and ref_type")
    func gitlabRefWithoutPath() {
        var claims = Self.gitlabIdentity().claims
        claims["ref_path"] = nil
        let identity = WorkloadIdentity(issuer: Self.gitlab, subject: "s", provider: .gitlab, serverURL: Self.gitlab, claims: claims, expiresAt: Date())
        #expect(identity.ref == "refs/tags/v3.1.0")
        #expect(identity.tag == "v3.1.0")
    }

    @Test("a matching rule whose release template has nothing to fill grants no release, and says why")
    func noRelease() throws {
        let yaml = """
            rules:
              - name: any-ref
                match: {issuer: "\(Self.github)", repository: acme/payments}
                grant: {team: payments, profiles: [ci-release], release: "{tag}"}
            """
        let policy = try CIIdentityPolicyParser.parse(yaml: yaml, file: "p.yaml")
        let grant = try policy.grant(for: Self.githubIdentity(Self.githubClaims(ref: "refs/heads/main")))
        #expect(grant.release == nil)
        #expect(grant.releaseRefusal?.contains("{tag}") == true)
        let error = try #require(throws: SignetError.self) { try AccessPolicy.checkRelease(grant.principal, release: "main") }
        #expect(error.code == .oidcReleaseNotGranted)
    }

    @Test("a release the rule does not derive is refused: a job on v2.0.0 cannot touch v1.9.0")
    func releaseBinding() throws {
        let principal = try Self.policy().grant(for: Self.githubIdentity()).principal
        try AccessPolicy.checkRelease(principal, release: "v2.0.0")
        let error = try #require(throws: SignetError.self) { try AccessPolicy.checkRelease(principal, release: "v1.9.0") }
        #expect(error.code == .oidcReleaseNotGranted)
        #expect(error.reason.contains("v2.0.0") && error.reason.contains("v1.9.0"))
        // Signet's own ci tokens are bound by team only.
        try AccessPolicy.checkRelease(Principal(name: "ci", role: .ci, team: "payments"), release: "v1.9.0")
    }

    @Test("policy files are refused with file, line and reason", arguments: [
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b, ref_protcted: true}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:3", "unknown key 'ref_protcted'"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\"}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:3", "must name the repository"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b}\n    grant: {team: t, role: admin, profiles: [ci-release]}\n",
         "p.yaml:4", "only be granted role ci"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b}\n    grant: {team: t, profiles: [ci-release], release: \"{branch}\"}\n",
         "p.yaml:4", "Unknown placeholder {branch}"),
        ("rules:\n  - name: a\n    match: {issuer: http://issuer.example, repository: a/b}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:3", "issuer must be"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b, ref_type: release}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:3", "ref_type must be branch or tag"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b, project_path: a/b}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:3", "not both"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b}\n    grant: {team: t, profiles: []}\n",
         "p.yaml:4", "at least one profile"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b}\n    grant: {team: t, profiles: [ci-release], max_validity: forever}\n",
         "p.yaml:4", "max_validity"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b}\n    grant: {team: t, profiles: [ci-release]}\n"
            + "  - name: a\n    match: {issuer: \"\(github)\", repository: a/c}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:5", "used twice"),
        ("rules:\n  - name: a\n    match: {issuer: \"\(github)\", repository: a/b, claims: {aud: x}}\n    grant: {team: t, profiles: [ci-release]}\n",
         "p.yaml:3", "checked by Signet itself"),
        ("rule:\n  - name: a\n", "p.yaml:1", "unknown key 'rule'"),
        ("rules: [\n", "p.yaml", "line"),
      ])
    func refusals(_ yaml: String, _ location: String, _ reason: String) {
        let error = #expect(throws: SignetError.self) { try CIIdentityPolicyParser.parse(yaml: yaml, file: "p.yaml") }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.reason.hasPrefix(location) == true, "\(error?.reason ?? "")")
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
    }

    @Test("rules are checked against config and profiles: unknown issuer, unknown profile, a profile ci of the team may not use")
    func validateAgainstConfig() throws {
        let profiles = try ProfileSet(FileManager.default.contentsOfDirectory(atPath: ProfileParserTests.profilesDirectory)
            .filter { $0.hasSuffix(".yaml") && $0 != CIIdentityPolicyParser.fileName }
            .map { try ProfileParser.parse(yaml: String(contentsOfFile: ProfileParserTests.profilesDirectory + "/" + $0, encoding: .utf8), file: $0) })
        let issuers = [OIDCIssuerSettings(issuer: Self.github, audience: "signet"), OIDCIssuerSettings(issuer: Self.gitlab, audience: "signet")]
        try Self.policy().validate(issuers: issuers, profiles: profiles)
        #expect(throws: SignetError.self) { try Self.policy().validate(issuers: [issuers[0]], profiles: profiles) }
        let unknownProfile = try CIIdentityPolicyParser.parse(yaml: """
            rules:
              - name: a
                match: {issuer: "\(Self.github)", repository: a/b}
                grant: {team: t, profiles: [no-such-profile]}
            """, file: "p.yaml")
        #expect(throws: SignetError.self) { try unknownProfile.validate(issuers: issuers, profiles: profiles) }
        // root-ca is not open to role ci.
        let adminOnly = try CIIdentityPolicyParser.parse(yaml: """
            rules:
              - name: a
                match: {issuer: "\(Self.github)", repository: a/b}
                grant: {team: t, profiles: [root-ca]}
            """, file: "p.yaml")
        let error = try #require(throws: SignetError.self) { try adminOnly.validate(issuers: issuers, profiles: profiles) }
        #expect(error.reason.contains("root-ca"))
    }

    @Test("glob patterns: * stops at /, ** crosses it, ? is one character, the rest is literal", arguments: [
        ("refs/tags/v*", "refs/tags/v2.0.0", true),
        ("refs/tags/v*", "refs/tags/v2/evil", false),
        ("refs/tags/v*", "refs/tags/x2", false),
        ("refs/heads/release/**", "refs/heads/release/2.0/hotfix", true),
        ("refs/heads/release/**", "refs/heads/releases", false),
        ("acme/*", "acme/payments", true),
        ("acme/*", "acme/payments/sub", false),
        ("acme/**", "acme/payments/sub", true),
        ("v?.0", "v2.0", true),
        ("v?.0", "v22.0", false),
        ("acme/payments", "acme/payments", true),
        ("acme/payments", "acme/Payments", false),
        ("*", "", true),
        ("a*b*c*d*e*f*g*h", String(repeating: "a", count: 1000), false),
      ])
    func globs(_ pattern: String, _ value: String, _ expected: Bool) throws {
        #expect(try ClaimPattern(pattern).matches(value) == expected)
    }

    @Test("patterns and values past their limits are refused or never match; matching is never slow")
    func patternLimits() throws {
        #expect(throws: SignetError.self) { try ClaimPattern("") }
        #expect(throws: SignetError.self) { try ClaimPattern(String(repeating: "a", count: ClaimPattern.maximumLength + 1)) }
        #expect(throws: SignetError.self) { try ClaimPattern("a\u{0}b") }
        let star = try ClaimPattern("**")
        #expect(!star.matches(String(repeating: "x", count: ClaimPattern.maximumValueLength + 1)))
        // The worst case of a backtracking matcher (many stars, a long non-matching value) is linear per token here.
        let many = try ClaimPattern(String(repeating: "*a", count: 100) + "b")
        #expect(!many.matches(String(repeating: "a", count: ClaimPattern.maximumValueLength)))
    }

    @Test("property: a literal pattern matches exactly its own text; ** matches anything; * matches any text without /")
    func patternProperties() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab/.-*?x")
        for _ in 0..<500 {
            let length = Int.random(in: 0...20, using: &rng)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
            let literal = text.replacingOccurrences(of: "*", with: "s").replacingOccurrences(of: "?", with: "q")
            if !literal.isEmpty {
                let pattern = try ClaimPattern(literal)
                #expect(pattern.isLiteral && pattern.matches(literal))
                #expect(!pattern.matches(literal + "z"))
            }
            #expect(try ClaimPattern("**").matches(text))
            #expect(try ClaimPattern("*").matches(text) == !text.contains("/"))
            // Arbitrary text as a pattern never traps, whatever it is matched against.
            if !text.isEmpty { _ = try ClaimPattern(text).matches(literal) }
        }
    }

    @Test("release templates: placeholders, text around them, and names that are not release names", arguments: [
        ("{tag}", "v2.0.0"),
        ("{ref_name}", "v2.0.0"),
        ("payments-{tag}", "payments-v2.0.0"),
        ("build-{run_id}", "build-9187654321"),
        ("{short_sha}", "c040cae0"),
        ("{environment}-{tag}", "release-v2.0.0"),
      ])
    func releaseTemplates(_ template: String, _ expected: String) throws {
        let rendered = try ReleaseNameTemplate(template).render(Self.githubIdentity())
        #expect(try rendered.get() == expected)
    }

    @Test("a template that renders to something that is not a release name grants none")
    func releaseTemplateInvalidName() throws {
        let identity = Self.githubIdentity(Self.githubClaims(ref: "refs/tags/v2 0/../x"))
        guard case .failure(let error) = try ReleaseNameTemplate("{tag}").render(identity) else {
            Issue.record("a tag with a space and ../ must not become a release name")
            return
        }
        #expect(error.reason.contains("not a release name"))
        #expect(throws: SignetError.self) { try ReleaseNameTemplate("{tag") }
        #expect(throws: SignetError.self) { try ReleaseNameTemplate("rel/{tag}") }
        #expect(throws: SignetError.self) { try ReleaseNameTemplate("") }
    }

    @Test("GitHub's claims become the workflow SAN URI and Fulcio's extensions, with the values Fulcio gives them")
    func githubFulcioValues() throws {
        let identity = Self.githubIdentity()
        #expect(identity.subjectAlternativeNameURI == "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v2.0.0")
        let values = Dictionary(uniqueKeysWithValues: identity.fulcioValues.map { ($0.0.arc, $0.1) })
        #expect(values[8] == Self.github)
        #expect(values[9] == "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v2.0.0")
        #expect(values[10] == "c040cae0f0dc81641728557b80f09cfa23b83fe5")
        #expect(values[11] == "github-hosted")
        #expect(values[12] == "https://github.com/acme/payments")
        #expect(values[13] == "c040cae0f0dc81641728557b80f09cfa23b83fe5")
        #expect(values[14] == "refs/tags/v2.0.0")
        #expect(values[15] == "424242")
        #expect(values[16] == "https://github.com/acme")
        #expect(values[17] == "2020")
        #expect(values[18] == "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v2.0.0")
        #expect(values[20] == "push")
        #expect(values[21] == "https://github.com/acme/payments/actions/runs/9187654321/attempts/2")
        #expect(values[22] == "private")
        #expect(values[23] == "release")
        #expect(values[24] == "repo:acme/payments:environment:release")
        // In OID order, each value a DER UTF8String; the deprecated Issuer (.1) as raw octets, as Fulcio writes it.
        let extensions = try FulcioExtension.extensions(for: identity)
        #expect(extensions.first?.oid.description == "1.3.6.1.4.1.57264.1.1")
        #expect(Array(extensions[0].value) == Array(Self.github.utf8))
        #expect(extensions.dropFirst().map { $0.oid.description } == identity.fulcioValues.map { "1.3.6.1.4.1.57264.1.\($0.0.arc)" })
        let ref = try #require(extensions.first { $0.oid.description == "1.3.6.1.4.1.57264.1.14" })
        #expect(Array(ref.value) == [0x0C, 16] + Array("refs/tags/v2.0.0".utf8))
        #expect(extensions.allSatisfy { !$0.critical })
    }

    @Test("GitLab's claims: the config file URI as SAN, the job as run, the project's namespace as owner")
    func gitlabFulcioValues() {
        let identity = Self.gitlabIdentity()
        #expect(identity.subjectAlternativeNameURI == "https://gitlab.example.com/acme/tools/cli//.gitlab-ci.yml@refs/tags/v3.1.0")
        let values = Dictionary(uniqueKeysWithValues: identity.fulcioValues.map { ($0.0.arc, $0.1) })
        #expect(values[12] == "https://gitlab.example.com/acme/tools/cli")
        #expect(values[14] == "refs/tags/v3.1.0")
        #expect(values[15] == "20")
        #expect(values[16] == "https://gitlab.example.com/acme")
        #expect(values[20] == "push")
        #expect(values[21] == "https://gitlab.example.com/acme/tools/cli/-/jobs/302")
        #expect(values[22] == "internal")
    }

    @Test("text that is not URI-safe (spaces, non-ASCII, %) is percent-encoded in the SAN URI, which stays an IA5String")
    func uriEncoding() {
        var claims = Self.githubClaims(ref: "refs/tags/v2 ü%")
        claims["job_workflow_ref"] = "acme/payments/.github/workflows/release.yml@refs/tags/v2 ü%"
        let uri = Self.githubIdentity(claims).subjectAlternativeNameURI
        #expect(uri == "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v2%20%C3%BC%25")
        #expect(uri?.unicodeScalars.allSatisfy { $0.isASCII } == true)
    }

    @Test("identity.oidc entries are checked: https issuer, audience, skew at most 60 s, known algorithms only, one key source")
    func issuerSettings() throws {
        func check(_ raw: SignetConfig.OIDCIssuer) throws -> OIDCIssuerSettings { try OIDCIssuerSettings(raw, key: "identity.oidc[0]") }
        let fine = try check(.init(issuer: Self.github, audience: "signet"))
        #expect(fine.algorithms == [.rs256, .es256] && fine.clockSkew == 30)
        if case .discovery(let url) = fine.keySource { #expect(url == Self.github + "/.well-known/openid-configuration") } else { Issue.record("discovery expected") }
        #expect(try check(.init(issuer: "http://127.0.0.1:9999", audience: "a")).issuer == "http://127.0.0.1:9999")
        for (raw, field) in [
            (SignetConfig.OIDCIssuer(issuer: "http://issuer.example", audience: "a"), "issuer"),
            (.init(issuer: Self.github, audience: ""), "audience"),
            (.init(issuer: Self.github, audience: "a", clockSkew: "2m"), "clock_skew"),
            (.init(issuer: Self.github, audience: "a", algorithms: ["HS256"]), "algorithms"),
            (.init(issuer: Self.github, audience: "a", algorithms: ["none"]), "algorithms"),
            (.init(issuer: Self.github, audience: "a", algorithms: []), "algorithms"),
            (.init(issuer: Self.github, audience: "a", jwksURL: "https://x.example/jwks", jwksFile: "k.json"), "jwks_url"),
            (.init(issuer: Self.github, audience: "a", jwksURL: "ftp://x.example/jwks"), "jwks_url"),
            (.init(issuer: Self.github, audience: "a", provider: "jenkins"), "provider"),
            (.init(issuer: Self.github, audience: "a", refresh: "5s"), "refresh"),
        ] {
            let error = try #require(throws: SignetError.self) { try check(raw) }
            #expect(error.reason.hasPrefix("identity.oidc[0].\(field):"), "\(error.reason)")
        }
    }

    @Test("config.yaml: identity.oidc parses, unknown keys are refused, an issuer listed twice is refused")
    func configParsing() throws {
        let base = """
            base_url: http://127.0.0.1:8080
            listen: 127.0.0.1:8080
            profiles_dir: Profiles
            hsm: {module: /usr/lib/softhsm/libsofthsm2.so, token_label: signet, pin_file: hsm.pin, create_token: true, sessions: 4}
            crl: {dir: CRL, next_update: 24h}
            """
        let ok = try SignetConfig.parse(base + "\nidentity:\n  oidc:\n    - {issuer: \"\(Self.github)\", audience: signet, clock_skew: 45s}\n", file: "config.yaml")
        #expect(try ok.identity?.issuerSettings().first?.clockSkew == 45)
        #expect(throws: SignetError.self) {
            try SignetConfig.parse(base + "\nidentity:\n  oidc:\n    - {issuer: \"\(Self.github)\", audience: signet, clock_skwe: 45s}\n", file: "config.yaml")
        }
        #expect(throws: SignetError.self) {
            try SignetConfig.parse(base + "\nidentity:\n  oidc:\n    - {issuer: \"\(Self.github)\", audience: a}\n    - {issuer: \"\(Self.github)\", audience: b}\n", file: "config.yaml")
        }
    }
}
