import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SignetCore
import SignetRuntime
@testable import SignetServer
import SignetTestSupport
import SwiftASN1
import Testing
import X509

/// CI workload identity over the API, against a local OIDC issuer (keys made in the test, discovery
/// and JWKS served on loopback) that mints tokens shaped like GitHub Actions' and GitLab CI's: a job
/// on a matching tag gets its release key and signs; every forged, expired, misaddressed or
/// unadmitted token is refused with its code and audited, and nothing is issued or signed.
@Suite(.serialized) struct WorkloadIdentityAPITests {
    typealias API = APITests
    typealias Claims = [String: TestOIDCIssuer.Claim]

    struct Fixture {
        let runtime: SignetRuntime
        let services: SignetServices
        let app: any ApplicationProtocol
        let issuer: TestOIDCIssuer
        let admin: String
    }

    static func policy(_ issuer: String) -> String {
        """
        rules:
          - name: payments-release
            match:
              issuer: \(issuer)
              repository: acme/payments
              ref: refs/tags/v*
              ref_type: tag
              job_workflow_ref: acme/payments/.github/workflows/release.yml@refs/tags/*
            grant:
              team: payments
              profiles: [ci-release]
              release: "{tag}"
              max_validity: 2d
          - name: tools-release
            match:
              issuer: \(issuer)
              project_path: acme/tools
              ref: refs/tags/*
              ref_protected: true
            grant:
              team: tools
              profiles: [ci-release]
              release: "{tag}"
        """
    }

    /// A Signet home whose API trusts `issuer` with the policy above. The JWKS cache is the real one,
    /// fetching over HTTP from the issuer's discovery document.
    static func fixture(_ issuer: TestOIDCIssuer, clock: any SignetClock = SystemClock(), settings: OIDCIssuerSettings? = nil) async throws -> Fixture {
        let runtime = try await TestEnvironment.makeRuntime(clock: clock)
        let settings = settings ?? OIDCIssuerSettings(issuer: issuer.url, audience: "signet")
        let policy = try CIIdentityPolicyParser.parse(yaml: policy(issuer.url), file: "ci-identities.yaml")
        try policy.validate(issuers: [settings], profiles: runtime.profiles)
        let keys = JWKSCache(fetcher: JWKSFetcher(baseDirectory: runtime.home.directory), clock: clock)
        let identity = WorkloadAuthenticator(verifier: IDTokenVerifier(issuers: [settings], keys: keys, clock: clock), policy: policy)
        let services = SignetServices(ca: runtime.ca, repository: runtime.store, revocation: try runtime.makeRevocation(),
                                      timestamping: try runtime.makeTimestampAuthority(), trail: runtime.auditTrail,
                                      authThrottle: AuthFailureThrottle(policy: .init(burst: 10_000, perSecond: 100)), identity: identity)
        let app = try SignetApplication.build(services: services, settings: .init(port: 0, logLevel: .critical))
        let admin = try await services.tokens.create(role: .admin, team: nil, name: "admin",
                                                     by: Principal(name: "root", role: .admin, team: nil)).0
        return Fixture(runtime: runtime, services: services, app: app, issuer: issuer, admin: admin)
    }

    static func releaseKey(_ client: some TestClientProtocol, _ release: String, bearer: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/releases/\(release)/key", method: .post, headers: API.headers(bearer))
    }

    static func audit(_ f: Fixture, _ action: String) async throws -> [AuditEvent] {
        try await f.runtime.store.auditEntries(after: 0, limit: 100_000).map(\.event).filter { $0.action == action }
    }

    /// Certificates and release keys: what "nothing issued" is measured against.
    static func issued(_ f: Fixture) async throws -> (certificates: Int, releaseKeys: Int) {
        let certificates = try await f.runtime.store.countCertificates(CertificateQuery(profile: "ci-release", limit: 1_000))
        let keys = try await f.runtime.store.keys().filter { $0.purpose == .release }.count
        return (certificates, keys)
    }

    @Test("a GitHub Actions job on a matching tag gets its release key with its identity in the certificate, signs, and is audited by repository, ref and run")
    func githubReleaseJob() async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await Self.fixture(issuer)
            let token = try issuer.githubToken()
            try await f.app.test(.router) { client in
                let created = try await Self.releaseKey(client, "v2.0.0", bearer: token)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let body = API.body(created)
                let keyID = try #require(body["key_id"] as? String)
                let certificate = try Certificate(pemEncoded: try #require(body["certificate"] as? String))
                // The identity travels: the workflow at its ref as SAN URI, and Fulcio's extensions.
                let san = try #require(try certificate.extensions.subjectAlternativeNames)
                #expect(Array(san) == [.uniformResourceIdentifier("https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v2.0.0")])
                func fulcio(_ arc: Int) -> String? {
                    certificate.extensions.first { $0.oid.description == "1.3.6.1.4.1.57264.1.\(arc)" }
                        .flatMap { try? String(ASN1UTF8String(derEncoded: $0.value)) }
                }
                #expect(fulcio(8) == issuer.url)
                #expect(fulcio(12) == "https://github.com/acme/payments")
                #expect(fulcio(13) == "c040cae0f0dc81641728557b80f09cfa23b83fe5")
                #expect(fulcio(14) == "refs/tags/v2.0.0")
                #expect(fulcio(21) == "https://github.com/acme/payments/actions/runs/9187654321/attempts/1")
                // The rule's max_validity (2d) caps the profile's 7-day default.
                #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) <= 2 * 86_400 + 60)

                let digest = Array(SHA256.hash(data: Array("artifact".utf8)))
                let signed = try await client.execute(uri: "/api/v1/keys/\(keyID)/sign", method: .post, headers: API.headers(token),
                                                      body: ReleaseSigningAPITests.signBody(digest))
                #expect(signed.status == .ok, "\(String(buffer: signed.body))")
                let signatureText = try #require(API.body(signed)["signature"] as? String)
                let signature = try #require(Data(base64Encoded: signatureText))
                #expect(certificate.publicKey.isValidSignature(Array(signature), for: Array("artifact".utf8), signatureAlgorithm: .ecdsaWithSHA256))

                // signet list --repository and the API's filter find it.
                let listed = try await client.execute(uri: "/api/v1/certificates?repository=acme/payments", method: .get, headers: API.headers(f.admin))
                let items = try #require(API.body(listed)["certificates"] as? [[String: Any]])
                #expect(items.count == 1 && items.first?["repository"] as? String == "acme/payments" && items.first?["release"] as? String == "v2.0.0")
                let other = try await client.execute(uri: "/api/v1/certificates?repository=acme/other", method: .get, headers: API.headers(f.admin))
                #expect((API.body(other)["certificates"] as? [Any])?.isEmpty == true)
            }
            for action in [AuditAction.releaseKeyCreate, AuditAction.remoteSign] {
                let events = try await Self.audit(f, action)
                #expect(events.count == 1, "\(action)")
                let details = try #require(events.first?.details)
                #expect(details["oidc_issuer"] == issuer.url, "\(action)")
                #expect(details["oidc_subject"] == "repo:acme/payments:environment:release")
                #expect(details["repository"] == "acme/payments" && details["ref"] == "refs/tags/v2.0.0" && details["run_id"] == "9187654321")
                #expect(details["oidc_rule"] == "payments-release")
                #expect(events.first?.actor == "ci:acme/payments@refs/tags/v2.0.0" && events.first?.role == "ci")
            }
        }
    }

    @Test("a GitLab CI job (every claim GitLab sends, ES256) on a protected tag gets its release key; its identity is the project's")
    func gitlabReleaseJob() async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await Self.fixture(issuer)
            issuer.useEC()
            let token = try issuer.sign(issuer.gitlabClaims())
            try await f.app.test(.router) { client in
                let created = try await Self.releaseKey(client, "v3.1.0", bearer: token)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let certificate = try Certificate(pemEncoded: try #require(API.body(created)["certificate"] as? String))
                let host = try #require(URL(string: issuer.url).map { "\($0.host!):\($0.port!)" })
                let san = try #require(try certificate.extensions.subjectAlternativeNames)
                #expect(Array(san) == [.uniformResourceIdentifier("https://\(host)/acme/tools//.gitlab-ci.yml@refs/tags/v3.1.0")])
                #expect(certificate.subject.description.contains("OU=tools"))
            }
            let created = try #require(try await Self.audit(f, AuditAction.releaseKeyCreate).first)
            #expect(created.details["repository"] == "acme/tools" && created.details["run_id"] == "574" && created.details["ref"] == "refs/tags/v3.1.0")
        }
    }

    /// Each bad input, the status and code it must get, and whether the refusal is audited as a failed
    /// authentication (`auth.oidc.refuse`) or as a refused release key (`release.key.refuse`).
    enum BadInput: String, CaseIterable, CustomTestStringConvertible {
        case expired, notYetValid, wrongAudience, wrongIssuer, unknownKid, algNone, hs256WithPublicKey, tamperedPayload,
             tamperedSignature, unmatchedRepository, unmatchedRef, unmatchedWorkflow, releaseNotGranted, oversized, garbage
        var testDescription: String { rawValue }

        var expected: (HTTPResponse.Status, String, String) {
            switch self {
            case .expired: return (.unauthorized, "oidc_token_expired", AuditAction.authOIDCRefuse)
            case .notYetValid: return (.unauthorized, "oidc_token_not_yet_valid", AuditAction.authOIDCRefuse)
            case .wrongAudience: return (.unauthorized, "oidc_wrong_audience", AuditAction.authOIDCRefuse)
            case .wrongIssuer: return (.unauthorized, "oidc_unknown_issuer", AuditAction.authOIDCRefuse)
            case .unknownKid: return (.unauthorized, "oidc_unknown_key", AuditAction.authOIDCRefuse)
            case .algNone, .hs256WithPublicKey: return (.unauthorized, "oidc_algorithm_refused", AuditAction.authOIDCRefuse)
            case .tamperedPayload, .tamperedSignature: return (.unauthorized, "oidc_bad_signature", AuditAction.authOIDCRefuse)
            case .unmatchedRepository, .unmatchedRef, .unmatchedWorkflow: return (.forbidden, "oidc_no_matching_rule", AuditAction.authOIDCRefuse)
            case .releaseNotGranted: return (.forbidden, "oidc_release_not_granted", AuditAction.releaseKeyRefuse)
            case .oversized: return (.unauthorized, "oidc_token_too_large", AuditAction.authOIDCRefuse)
            case .garbage: return (.unauthorized, "oidc_malformed_token", AuditAction.authOIDCRefuse)
            }
        }

        /// The token and the release it asks for.
        func token(_ issuer: TestOIDCIssuer) throws -> (String, String) {
            let good = issuer.githubClaims()
            switch self {
            case .expired: return (try issuer.sign(issuer.githubClaims(lifetime: 300, issuedAt: Date() - 600)), "v2.0.0")
            case .notYetValid: return (try issuer.sign(issuer.githubClaims(issuedAt: Date() + 300)), "v2.0.0")
            case .wrongAudience: return (try issuer.sign(issuer.githubClaims(audience: "https://github.com/acme")), "v2.0.0")
            case .wrongIssuer: return (try issuer.sign(good.merging(["iss": .string("https://token.actions.githubusercontent.com")]) { _, new in new }), "v2.0.0")
            case .unknownKid: return (try issuer.unknownKid(good), "v2.0.0")
            case .algNone: return (issuer.unsecured(good), "v2.0.0")
            case .hs256WithPublicKey: return (issuer.hs256WithPublicKey(good), "v2.0.0")
            case .tamperedPayload: return (try issuer.tamperedPayload(good, changed: ["repository": .string("acme/payments-evil")]), "v2.0.0")
            case .tamperedSignature: return (try issuer.tamperedSignature(good), "v2.0.0")
            case .unmatchedRepository: return (try issuer.sign(issuer.githubClaims(repository: "acme/search")), "v2.0.0")
            case .unmatchedRef: return (try issuer.sign(issuer.githubClaims(ref: "refs/heads/main")), "main")
            case .unmatchedWorkflow: return (try issuer.sign(issuer.githubClaims(workflow: ".github/workflows/pr.yml")), "v2.0.0")
            case .releaseNotGranted: return (try issuer.sign(good), "v1.9.0")
            case .oversized:
                return (try issuer.sign(good.merging(["padding": .string(String(repeating: "x", count: 17 * 1024))]) { _, new in new }), "v2.0.0")
            case .garbage: return ("eyJhbGciOi.not-json.at-all", "v2.0.0")
            }
        }
    }

    @Test("every bad input is refused with its status and code, audited, and nothing is issued or signed", arguments: BadInput.allCases)
    func badInput(_ input: BadInput) async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await Self.fixture(issuer)
            let (token, release) = try input.token(issuer)
            let (status, code, action) = input.expected
            // A release key made beforehand with a good token, to show that signing with it is refused too.
            let keyID = try await f.app.test(.router) { client in
                let good = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                return try #require(API.body(good)["key_id"] as? String)
            }
            let before = try await Self.issued(f)
            let auditedBefore = try await Self.audit(f, action).count
            try await f.app.test(.router) { client in
                API.expectError(try await Self.releaseKey(client, release, bearer: token), status, code)
                if input != .releaseNotGranted {
                    let digest = Array(SHA256.hash(data: Array("artifact".utf8)))
                    let sign = try await client.execute(uri: "/api/v1/keys/\(keyID)/sign", method: .post, headers: API.headers(token),
                                                        body: ReleaseSigningAPITests.signBody(digest))
                    API.expectError(sign, status, code)
                    let exchange = try await client.execute(uri: "/api/v1/auth/oidc", method: .post, headers: API.headers(token))
                    API.expectError(exchange, status, code)
                }
            }
            #expect(try await Self.issued(f) == before)
            #expect(try await Self.audit(f, AuditAction.remoteSign).isEmpty)
            #expect(try await Self.audit(f, AuditAction.authOIDCExchange).isEmpty)
            let refusals = try await Self.audit(f, action)
            #expect(refusals.count > auditedBefore, "no \(action) entry for \(input)")
            let refusal = try #require(refusals.last)
            #expect(refusal.outcome == .refused)
            if action == AuditAction.authOIDCRefuse {
                #expect(refusal.details["code"] == code)
                // What the token claimed is recorded (when it parses), never the token itself.
                if ![.oversized, .garbage].contains(input) { #expect(refusal.details["claimed_repository"] != nil || refusal.details["repository"] != nil) }
            } else {
                #expect(refusal.details["repository"] == "acme/payments" && refusal.details["code"] == code)
            }
            let all = try await f.runtime.store.auditEntries(after: 0, limit: 100_000)
            #expect(!all.contains { entry in entry.event.details.values.contains { $0.contains(token.prefix(200)) } }, "the token must never be audited")
        }
    }

    @Test("a certificate request under a profile the rule does not grant is refused (403) and audited; validity is capped by the rule")
    func profileNotGranted() async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await Self.fixture(issuer)
            let token = try issuer.githubToken()
            try await f.app.test(.router) { client in
                let issue = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: API.headers(token),
                                                     body: API.json(["profile": "prerelease-codesign", "csr": try API.csrPEM()]))
                API.expectError(issue, .forbidden, "oidc_profile_not_granted")
            }
            let refused = try await Self.audit(f, AuditAction.certificateRefuse)
            #expect(refused.count == 1 && refused[0].details["repository"] == "acme/payments")
            #expect(try await f.runtime.store.countCertificates(CertificateQuery(profile: "prerelease-codesign", limit: 10)) == 0)
        }
    }

    @Test("POST /api/v1/auth/oidc exchanges the ID token for a Signet token that expires with it or within 15 minutes, bound to the same grant")
    func exchange() async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await Self.fixture(issuer)
            try await f.app.test(.router) { client in
                // A token with 5 minutes left gets a Signet token expiring with it.
                let short = try issuer.sign(issuer.githubClaims(lifetime: 300))
                let answer = try await client.execute(uri: "/api/v1/auth/oidc", method: .post, headers: API.headers(nil),
                                                      body: API.json(["id_token": short]))
                #expect(answer.status == .created, "\(String(buffer: answer.body))")
                let body = API.body(answer)
                let signetToken = try #require(body["token"] as? String)
                #expect(signetToken.hasPrefix("sgt_"))
                #expect(body["release"] as? String == "v2.0.0" && body["team"] as? String == "payments" && body["rule"] as? String == "payments-release")
                let expires = try #require((body["expires_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
                #expect(abs(expires.timeIntervalSinceNow - 300) < 10, "\(expires)")
                // A token with an hour left gets 15 minutes.
                let long = try issuer.sign(issuer.githubClaims(lifetime: 3600))
                let capped = API.body(try await client.execute(uri: "/api/v1/auth/oidc", method: .post, headers: API.headers(long)))
                let cappedExpiry = try #require((capped["expires_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
                #expect(abs(cappedExpiry.timeIntervalSinceNow - 900) < 10, "\(cappedExpiry)")

                // The Signet token carries the identity: the same release only, the identity in the certificate.
                let made = try await Self.releaseKey(client, "v2.0.0", bearer: signetToken)
                #expect(made.status == .created, "\(String(buffer: made.body))")
                let certificate = try Certificate(pemEncoded: try #require(API.body(made)["certificate"] as? String))
                #expect(try certificate.extensions.subjectAlternativeNames != nil)
                API.expectError(try await Self.releaseKey(client, "v1.9.0", bearer: signetToken), .forbidden, "oidc_release_not_granted")
                // Both the ID token in the body and as bearer is refused as ambiguous.
                let both = try await client.execute(uri: "/api/v1/auth/oidc", method: .post, headers: API.headers(short), body: API.json(["id_token": short]))
                API.expectError(both, .badRequest)
                // A Signet token is not an ID token.
                let wrongKind = try await client.execute(uri: "/api/v1/auth/oidc", method: .post, headers: API.headers(f.admin))
                API.expectError(wrongKind, .unauthorized, "oidc_malformed_token")
            }
            let exchanges = try await Self.audit(f, AuditAction.authOIDCExchange)
            #expect(exchanges.count == 2 && exchanges.allSatisfy { $0.details["repository"] == "acme/payments" && $0.details["run_id"] == "9187654321" })
        }
    }

    @Test("key rollover at the issuer (a new kid) is picked up without a restart; unknown kids refetch at most once a minute")
    func keyRollover() async throws {
        try await TestOIDCIssuer().run { issuer in
            let clock = ManualClock(Date())
            let f = try await Self.fixture(issuer, clock: clock)
            try await f.app.test(.router) { client in
                let answer1 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                #expect(answer1.status == .created, "\(String(buffer: answer1.body))")
                #expect(issuer.jwksFetches == 1)
                // The issuer rolls its key and drops the old one; the next token names the new kid.
                clock.advance(by: 61)
                try issuer.rotate(dropOld: true)
                let rolled = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                #expect(rolled.status == .ok, "\(String(buffer: rolled.body))")
                #expect(issuer.jwksFetches == 2)
                // Forged tokens with made-up kids cannot make Signet hammer the issuer: within the minute,
                // an unknown kid is refused from the cache.
                for _ in 0..<5 {
                    API.expectError(try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.unknownKid(issuer.githubClaims())), .unauthorized, "oidc_unknown_key")
                }
                #expect(issuer.jwksFetches == 2)
                // A second rollover within that minute is found at the next refetch.
                try issuer.rotate(dropOld: true)
                API.expectError(try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken()), .unauthorized, "oidc_unknown_key")
                clock.advance(by: 61)
                let answer2 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                #expect(answer2.status == .ok, "\(String(buffer: answer2.body))")
                #expect(issuer.jwksFetches == 3)
            }
        }
    }

    @Test("JWKS endpoint down: cached keys keep working; with nothing cached, 503 oidc_keys_unavailable, not 500")
    func jwksDown() async throws {
        try await TestOIDCIssuer().run { issuer in
            let clock = ManualClock(Date())
            let f = try await Self.fixture(issuer, clock: clock)
            try await f.app.test(.router) { client in
                let answer3 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken(issuedAt: clock.now()))
                #expect(answer3.status == .created, "\(String(buffer: answer3.body))")
                issuer.setDown(true)
                // Past the periodic refresh (15 min): the refetch fails, the cached key still answers.
                clock.advance(by: 16 * 60)
                let answer4 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken(issuedAt: clock.now()))
                #expect(answer4.status == .ok, "\(String(buffer: answer4.body))")
            }
            // A Signet that never had the keys cannot verify anything: 503 with a clear message.
            let cold = try await Self.fixture(issuer, clock: clock)
            try await cold.app.test(.router) { client in
                let response = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken(issuedAt: clock.now()))
                API.expectError(response, .serviceUnavailable, "oidc_keys_unavailable")
                #expect(response.headers[.retryAfter] != nil)
                let message = (API.body(response)["error"] as? [String: String])?["message"] ?? ""
                #expect(message.contains(issuer.url) && message.contains("could not be fetched"), "\(message)")
                // Back up: the next try (after the 10 s back-off) works without a restart.
                issuer.setDown(false)
                clock.advance(by: 11)
                let answer5 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken(issuedAt: clock.now()))
                #expect(answer5.status == .created, "\(String(buffer: answer5.body))")
            }
            #expect(try await Self.issued(cold).releaseKeys == 1)
        }
    }

    @Test("the clock skew is honoured: a token expired 20 s ago passes with 30 s skew, and is refused with 10 s")
    func clockSkew() async throws {
        try await TestOIDCIssuer().run { issuer in
            let token = try issuer.sign(issuer.githubClaims(lifetime: 280, issuedAt: Date() - 300))
            let lenient = try await Self.fixture(issuer)
            let strict = try await Self.fixture(issuer, settings: OIDCIssuerSettings(issuer: issuer.url, audience: "signet", clockSkew: 10))
            try await lenient.app.test(.router) { client in
                let answer6 = try await Self.releaseKey(client, "v2.0.0", bearer: token)
                #expect(answer6.status == .created, "\(String(buffer: answer6.body))")
            }
            try await strict.app.test(.router) { client in
                API.expectError(try await Self.releaseKey(client, "v2.0.0", bearer: token), .unauthorized, "oidc_token_expired")
            }
        }
    }

    @Test("an issuer configured for ES256 only refuses its RS256 tokens before touching a key")
    func algorithmAllowList() async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await Self.fixture(issuer, settings: OIDCIssuerSettings(issuer: issuer.url, audience: "signet", algorithms: [.es256]))
            try await f.app.test(.router) { client in
                API.expectError(try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken()), .unauthorized, "oidc_algorithm_refused")
                issuer.useEC()
                let answer7 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                #expect(answer7.status == .created, "\(String(buffer: answer7.body))")
            }
            #expect(issuer.jwksFetches == 1)
        }
    }

    @Test("with no issuer configured, an ID token is refused as from an untrusted issuer (401), never a 500")
    func noIssuerConfigured() async throws {
        try await TestOIDCIssuer().run { issuer in
            let f = try await API.fixture()
            try await f.app.test(.router) { client in
                API.expectError(try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken()), .unauthorized, "oidc_unknown_issuer")
            }
        }
    }
}

extension WorkloadIdentityAPITests {
    @Test("the periodic refresh fetches a key set once it is older than the issuer's refresh interval, and keeps it when the issuer is down")
    func periodicRefresh() async throws {
        try await TestOIDCIssuer().run { issuer in
            let clock = ManualClock(Date())
            let f = try await Self.fixture(issuer, clock: clock)
            let identity = try #require(f.services.identity)
            let issuers = Array(identity.verifier.issuers.values)
            #expect(await identity.verifier.keys.refreshStale(issuers).isEmpty)
            #expect(issuer.jwksFetches == 1)
            // Fresh: nothing to do.
            clock.advance(by: 60)
            #expect(await identity.verifier.keys.refreshStale(issuers).isEmpty)
            #expect(issuer.jwksFetches == 1)
            // Past the 15-minute refresh: fetched again; a key the issuer stopped publishing is then refused.
            let retired = try issuer.githubToken(issuedAt: clock.now())
            try issuer.rotate(dropOld: true)
            clock.advance(by: 15 * 60)
            #expect(await identity.verifier.keys.refreshStale(issuers).isEmpty)
            #expect(issuer.jwksFetches == 2)
            try await f.app.test(.router) { client in
                API.expectError(try await Self.releaseKey(client, "v2.0.0", bearer: retired), .unauthorized, "oidc_unknown_key")
                let answer8 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken(issuedAt: clock.now()))
                #expect(answer8.status == .created, "\(String(buffer: answer8.body))")
            }
            // The issuer down at the next refresh: reported, and the cached keys keep answering.
            issuer.setDown(true)
            clock.advance(by: 16 * 60)
            #expect(await identity.verifier.keys.refreshStale(issuers)[issuer.url] != nil)
            try await f.app.test(.router) { client in
                let answer9 = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken(issuedAt: clock.now()))
                #expect(answer9.status == .ok, "\(String(buffer: answer9.body))")
            }
        }
    }
}

extension WorkloadIdentityAPITests {
    @Test("an issuer whose keys come from a jwks_file needs no HTTP: its tokens verify with the issuer down; a jwks_url works too")
    func jwksFileAndURL() async throws {
        try await TestOIDCIssuer().run { issuer in
            let keysFile = TestEnvironment.temporaryDirectory("jwks") + "/issuer-keys.json"
            try issuer.jwksDocument.write(to: URL(fileURLWithPath: keysFile))
            issuer.setDown(true)
            let fromFile = try await Self.fixture(issuer, settings: try OIDCIssuerSettings(
                .init(issuer: issuer.url, audience: "signet", jwksFile: keysFile), key: "identity.oidc[0]"))
            try await fromFile.app.test(.router) { client in
                let made = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                #expect(made.status == .created, "\(String(buffer: made.body))")
            }
            #expect(issuer.jwksFetches == 0)
            issuer.setDown(false)
            let fromURL = try await Self.fixture(issuer, settings: try OIDCIssuerSettings(
                .init(issuer: issuer.url, audience: "signet", jwksURL: issuer.url + "/jwks"), key: "identity.oidc[0]"))
            try await fromURL.app.test(.router) { client in
                let made = try await Self.releaseKey(client, "v2.0.0", bearer: try issuer.githubToken())
                #expect(made.status == .created, "\(String(buffer: made.body))")
            }
            #expect(issuer.jwksFetches == 1)
        }
    }
}
