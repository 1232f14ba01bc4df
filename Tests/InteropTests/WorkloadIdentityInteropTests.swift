import Foundation
import SignetTestSupport
import Testing

/// CI workload identity end to end with real processes: `signet serve` trusting a local OIDC issuer
/// (served by its own process, so nothing here can starve it)
/// through config.yaml and Profiles/ci-identities.yaml, and `signet sign` / `signet release-key` run
/// as a CI job would run them, with no Signet secret: GitHub Actions' token service
/// (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN) or GitLab's `id_tokens` variable (SIGNET_ID_TOKEN). openssl
/// verifies the signature and shows the identity in the certificate; pkilint lints that certificate.
@Suite(.serialized) struct WorkloadIdentityInteropTests {
    struct Setup {
        let home: String
        let work: String
        let server: ServerProcess
        let root: String

        func signet(_ args: [String], env: [String: String?] = [:]) throws -> ProcessResult {
            let clean: [String: String?] = ["SIGNET_TOKEN": nil, "SIGNET_ID_TOKEN": nil, "ACTIONS_ID_TOKEN_REQUEST_URL": nil,
                                            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": nil, "SIGNET_HSM_PIN": nil, "SIGNET_URL": server.baseURL]
            return try ProcessRunner.signet(args, environment: clean.merging(env) { _, given in given })
        }
    }

    /// A home whose config trusts `issuer` (discovery on loopback) with a GitHub and a GitLab rule.
    static func start(_ issuer: TestOIDCIssuer) throws -> Setup {
        let policy = """
            rules:
              - name: payments-release
                match:
                  issuer: \(issuer.url)
                  repository: acme/payments
                  ref: refs/tags/v*
                  ref_type: tag
                  job_workflow_ref: acme/payments/.github/workflows/release.yml@refs/tags/v*
                grant:
                  team: payments
                  role: ci
                  profiles: [ci-release]
                  release: "{tag}"
                  max_validity: 2d
              - name: tools-release
                match:
                  issuer: \(issuer.url)
                  project_path: acme/tools
                  ref: refs/tags/*
                  ref_protected: true
                grant:
                  team: tools
                  profiles: [ci-release]
                  release: "{tag}"
            """
        let profiles = try TestEnvironment.profilesVariant([:], extraFiles: ["ci-identities.yaml": policy])
        let work = TestEnvironment.temporaryDirectory("oidc")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", profiles, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        let config = try String(contentsOfFile: home + "/config.yaml", encoding: .utf8)
        try (config + "\nidentity:\n  oidc:\n    - issuer: \(issuer.url)\n      audience: signet\n      clock_skew: 30s\n")
            .write(toFile: home + "/config.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess(home: home)
        let root = work + "/root.pem"
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "export")
        return Setup(home: home, work: work, server: server, root: root)
    }

    @Test("a GitHub Actions job on its tag signs with its release key: openssl cms verifies, x509 -text shows the workflow and Fulcio's extensions, pkilint finds nothing")
    func githubActionsSign() throws {
        try TestOIDCIssuer().runOutOfProcess { issuer in
            let s = try Self.start(issuer)
            defer { s.server.stop() }
            let github: [String: String?] = ["ACTIONS_ID_TOKEN_REQUEST_URL": issuer.url + "/github/token?api-version=2.0",
                                             "ACTIONS_ID_TOKEN_REQUEST_TOKEN": issuer.requestToken]
            let file = s.work + "/release.tar"
            try Data((0..<10_000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: file))
            let p7s = s.work + "/release.p7s"
            try OpenSSL.check(s.signet(["sign", "--release", "v2.0.0", "--in", file, "--out", p7s], env: github), "sign")
            let signer = s.work + "/signer.pem"
            let verify = try ProcessRunner.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content", file,
                                                           "-CAfile", s.root, "-purpose", "any", "-signer", signer, "-out", "/dev/null"])
            #expect(verify.succeeded && verify.stderr.contains("Verification successful"), "\(verify.stderr)")

            let text = try OpenSSL.check(ProcessRunner.run("openssl", ["x509", "-in", signer, "-noout", "-text"]), "x509 -text").output
            #expect(text.contains("URI:https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v2.0.0"), "\(text)")
            for oid in ["1.3.6.1.4.1.57264.1.1", "1.3.6.1.4.1.57264.1.8", "1.3.6.1.4.1.57264.1.12", "1.3.6.1.4.1.57264.1.13",
                        "1.3.6.1.4.1.57264.1.14", "1.3.6.1.4.1.57264.1.21"] {
                #expect(text.contains(oid + ":"), "\(oid) missing")
            }
            #expect(text.contains("refs/tags/v2.0.0") && text.contains("https://github.com/acme/payments/actions/runs/9187654321/attempts/1"))
            #expect((text.contains("OU = payments") || text.contains("OU=payments")) && text.contains("release v2.0.0"), "\(text)")

            // pkilint judges the CI-identity certificate like every other Signet issues.
            if let lint = ProcessRunner.which("lint_pkix_cert") {
                let result = try ProcessRunner.run(lint, ["lint", "-s", "WARNING", signer])
                #expect(result.succeeded && result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output) \(result.stderr)")
            } else {
                Issue.record("pkilint is not installed (scripts/install-deps.sh installs it)")
            }

            // release-key with the same job's identity names the key; another release is refused with its code.
            let key = try OpenSSL.check(s.signet(["release-key", "--release", "v2.0.0"], env: github), "release-key")
            #expect(key.output.contains("for release v2.0.0 (team payments)"), "\(key.output)")
            let other = try s.signet(["sign", "--release", "v1.9.0", "--in", file, "--out", s.work + "/old.p7s"], env: github)
            #expect(!other.succeeded && other.stderr.contains("v1.9.0"), "\(other.stderr)")
            #expect(!FileManager.default.fileExists(atPath: s.work + "/old.p7s"))

            // signet list --repository finds the certificate by the job's repository.
            let listed = try OpenSSL.check(s.signet(["list", "--repository", "acme/payments", "--home", s.home]), "list --repository").output
            #expect(listed.contains("v2.0.0"), "\(listed)")
            let none = try OpenSSL.check(s.signet(["list", "--repository", "acme/tools", "--home", s.home]), "list --repository").output
            #expect(!none.contains("v2.0.0"))
            // The audit trail records issuer, subject, repository, ref and run of the issuance and the signature.
            let audit = try OpenSSL.check(ProcessRunner.run("sqlite3", [s.home + "/signet.db",
                "SELECT action || ' ' || details FROM audit_log WHERE action IN ('release.key.create', 'signature.remote') ORDER BY seq"]), "sqlite3").output
            #expect(audit.contains("release.key.create") && audit.contains("signature.remote"), "\(audit)")
            for needle in ["\"oidc_issuer\":\"\(issuer.url)\"", "\"repository\":\"acme/payments\"", "\"ref\":\"refs/tags/v2.0.0\"",
                           "\"run_id\":\"9187654321\"", "\"oidc_subject\":\"repo:acme/payments:environment:release\""] {
                #expect(audit.contains(needle), "\(needle) not in \(audit)")
            }
        }
    }

    @Test("a GitLab CI job with SIGNET_ID_TOKEN (id_tokens) or --id-token-file gets its release key; a job without a token is told how to get one")
    func gitlabIDToken() throws {
        try TestOIDCIssuer().runOutOfProcess { issuer in
            let s = try Self.start(issuer)
            defer { s.server.stop() }
            let token = try issuer.sign(issuer.gitlabClaims())
            let key = try OpenSSL.check(s.signet(["release-key", "--release", "v3.1.0"], env: ["SIGNET_ID_TOKEN": token]), "release-key")
            #expect(key.output.contains("for release v3.1.0 (team tools)"), "\(key.output)")
            let tokenFile = s.work + "/id-token"
            try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let file = s.work + "/tool.bin"
            try Data("tool".utf8).write(to: URL(fileURLWithPath: file))
            try OpenSSL.check(s.signet(["sign", "--release", "v3.1.0", "--in", file, "--out", s.work + "/tool.p7s", "--id-token-file", tokenFile]), "sign")
            let verify = try ProcessRunner.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", s.work + "/tool.p7s", "-content", file,
                                                           "-CAfile", s.root, "-purpose", "any", "-out", "/dev/null"])
            #expect(verify.succeeded, "\(verify.stderr)")
            // An unprotected tag matches no rule: a 403 with its code, one line on stderr, nothing issued.
            let unprotected = try issuer.sign(issuer.gitlabClaims(refName: "v3.2.0", refProtected: false))
            let refused = try s.signet(["release-key", "--release", "v3.2.0"], env: ["SIGNET_ID_TOKEN": unprotected])
            #expect(!refused.succeeded && refused.stderr.contains("No rule"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
            let listed = try OpenSSL.check(s.signet(["list", "--repository", "acme/tools", "--home", s.home]), "list").output
            #expect(listed.contains("v3.1.0") && !listed.contains("v3.2.0"))
            let none = try s.signet(["sign", "--release", "v3.1.0", "--in", file, "--out", s.work + "/x.p7s"])
            #expect(!none.succeeded && none.stderr.contains("SIGNET_ID_TOKEN"), "\(none.stderr)")
        }
    }
}
