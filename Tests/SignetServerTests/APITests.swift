import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SignetCore
import SwiftASN1
import SignetRuntime
@testable import SignetServer
import SignetTestSupport
import Testing
import X509

/// The HTTP API in-process (HummingbirdTesting's router client) on a real home: SoftHSM2 token,
/// SQLite store. Every refusal must use the JSON error shape with the right status and change nothing.
@Suite struct APITests {
    struct Fixture {
        let runtime: SignetRuntime
        let services: SignetServices
        let app: any ApplicationProtocol
        var tokens: [String: String] = [:]

        func token(_ name: String) -> String { tokens[name]! }
    }

    static func fixture(clock: any SignetClock = SystemClock(), profiles: String? = nil) async throws -> Fixture {
        let runtime = try await TestEnvironment.makeRuntime(profiles: profiles, clock: clock)
        let services = SignetServices(ca: runtime.ca, repository: runtime.store, revocation: try runtime.makeRevocation(),
                                          timestamping: try runtime.makeTimestampAuthority(), trail: runtime.auditTrail)
        var fixture = Fixture(runtime: runtime, services: services, app: try SignetApplication.build(services: services, settings: .init(port: 0, logLevel: .critical)))
        let admin = Principal(name: "root", role: .admin, team: nil)
        for (name, role, team) in [("admin", Role.admin, nil), ("teamadmin", .admin, "platform"), ("dev", .developer, "payments"), ("otherdev", .developer, "search"),
                                   ("ci", .ci, "payments"), ("auditor", .auditor, nil)] as [(String, Role, String?)] {
            fixture.tokens[name] = try await services.tokens.create(role: role, team: team, name: name, by: admin).0
        }
        return fixture
    }

    static func csrPEM(_ key: P256.Signing.PrivateKey = .init()) throws -> String {
        try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(key),
                                      attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).serializeAsPEM().pemString
    }

    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static func headers(_ token: String?, contentType: String? = "application/json", accept: String? = nil) -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        if let contentType { fields[.contentType] = contentType }
        if let accept { fields[.accept] = accept }
        return fields
    }

    static func body(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    /// Checks the one error shape and returns the code.
    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil, sourceLocation: sourceLocation)
        let error = body(response)["error"] as? [String: String]
        #expect(error?["message"]?.isEmpty == false, sourceLocation: sourceLocation)
        if let code { #expect(error?["code"] == code, "\(String(buffer: response.body))", sourceLocation: sourceLocation) }
    }

    @Test("token → issue → fetch → list → revoke, with team and requester from the token")
    func happyPath() async throws {
        let f = try await Self.fixture()
        try await f.app.test(.router) { client in
            let issued = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token("dev")),
                                                  body: Self.json(["profile": "prerelease-codesign", "csr": try Self.csrPEM(), "validity": "12h"]))
            #expect(issued.status == .created, "\(String(buffer: issued.body))")
            let result = Self.body(issued)
            let serial = try #require(result["serial"] as? String)
            let certificate = try Certificate(pemEncoded: try #require(result["certificate"] as? String))
            #expect((result["chain"] as? [String])?.count == 2)
            #expect(certificate.subject.description.contains("OU=payments"))
            #expect(certificate.subject.description.contains("CN=dev pre-release signing"))
            #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) == 12 * 3600)

            let shown = try await client.execute(uri: "/api/v1/certificates/\(serial)", method: .get, headers: Self.headers(f.token("dev")))
            #expect(shown.status == .ok)
            let summary = Self.body(shown)
            #expect(summary["team"] as? String == "payments" && summary["requester"] as? String == "dev" && summary["status"] as? String == "valid")
            // `certificate` is the PEM, as in the answer to POST /api/v1/certificates.
            #expect(summary["certificate"] as? String == result["certificate"] as? String, "GET and POST must agree on `certificate`")

            let der = try await client.execute(uri: "/api/v1/certificates/\(serial)", method: .get, headers: Self.headers(f.token("auditor"), accept: "application/pkix-cert"))
            #expect(der.headers[.contentType] == "application/pkix-cert")
            #expect(Array(buffer: der.body) == certificate.derBytes)
            let pem = try await client.execute(uri: "/api/v1/certificates/\(serial)", method: .get, headers: Self.headers(f.token("admin"), accept: "application/x-pem-file"))
            #expect(try Certificate(pemEncoded: String(buffer: pem.body)) == certificate)

            let listed = try await client.execute(uri: "/api/v1/certificates?expiring_within=13h", method: .get, headers: Self.headers(f.token("dev")))
            #expect((Self.body(listed)["certificates"] as? [[String: Any]])?.map { $0["serial"] as? String } == [serial])
            let otherTeam = try await client.execute(uri: "/api/v1/certificates", method: .get, headers: Self.headers(f.token("otherdev")))
            #expect((Self.body(otherTeam)["certificates"] as? [[String: Any]])?.isEmpty == true)

            let revoked = try await client.execute(uri: "/api/v1/certificates/\(serial)/revoke", method: .post, headers: Self.headers(f.token("admin")),
                                                   body: Self.json(["reason": "keyCompromise"]))
            #expect(revoked.status == .ok)
            #expect(Self.body(revoked)["revocation_reason"] as? String == "keyCompromise")
            #expect((Self.body(revoked)["certificate"] as? String)?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
            let again = try await client.execute(uri: "/api/v1/certificates/\(serial)/revoke", method: .post, headers: Self.headers(f.token("admin")),
                                                 body: Self.json(["reason": "superseded"]))
            Self.expectError(again, .conflict, "conflict")
        }
    }

    @Test("each role may do exactly its part")
    func roles() async throws {
        let f = try await Self.fixture()
        try await f.app.test(.router) { client in
            let issueBody = Self.json(["profile": "prerelease-codesign", "csr": try Self.csrPEM()])
            for role in ["dev", "ci", "teamadmin"] {
                let r = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token(role)), body: issueBody)
                #expect(r.status == .created, "\(role): \(String(buffer: r.body))")
            }
            let auditorIssue = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token("auditor")), body: issueBody)
            Self.expectError(auditorIssue, .forbidden, "forbidden")
            // An admin without a team cannot fill this profile's {team}: refused with the reason.
            let teamless = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token("admin")), body: issueBody)
            Self.expectError(teamless, .unprocessableContent, "policy_refused")
            let auditorList = try await client.execute(uri: "/api/v1/certificates?profile=prerelease-codesign", method: .get, headers: Self.headers(f.token("auditor")))
            #expect((Self.body(auditorList)["certificates"] as? [Any])?.count == 3)

            // The team admin's certificate: neither the developer nor the pipeline requested it.
            let serial = try #require(((Self.body(auditorList)["certificates"] as? [[String: Any]])?.first { $0["requester"] as? String == "teamadmin" }?["serial"]) as? String)
            for role in ["dev", "ci", "auditor"] {
                let r = try await client.execute(uri: "/api/v1/certificates/\(serial)/revoke", method: .post, headers: Self.headers(f.token(role)), body: Self.json([:]))
                Self.expectError(r, .forbidden, "forbidden")
                let t = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: Self.headers(f.token(role)), body: Self.json(["role": "admin"]))
                Self.expectError(t, .forbidden, "forbidden")
            }
            // The admin's certificate has no team; a developer may not read it, nor list another team.
            let otherTeam = try await client.execute(uri: "/api/v1/certificates?team=search", method: .get, headers: Self.headers(f.token("dev")))
            Self.expectError(otherTeam, .forbidden, "forbidden")
            let payments = try await f.runtime.store.certificates(.init(team: "payments"))
            let foreign = try await client.execute(uri: "/api/v1/certificates/\(payments[0].serial)", method: .get, headers: Self.headers(f.token("otherdev")))
            Self.expectError(foreign, .forbidden, "forbidden")
        }
    }

    @Test("revocation over the API: developer and ci tokens revoke their own certificates, not a teammate's; the store changes only then")
    func revokeOwn() async throws {
        let f = try await Self.fixture()
        let admin = Principal(name: "root", role: .admin, team: nil)
        let teammate = try await f.services.tokens.create(role: .developer, team: "payments", name: "bob", by: admin).0
        try await f.app.test(.router) { client in
            func issue(_ token: String) async throws -> String {
                let r = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(token),
                                                 body: Self.json(["profile": "prerelease-codesign", "csr": try Self.csrPEM()]))
                return try #require(Self.body(r)["serial"] as? String)
            }
            func revoke(_ serial: String, _ token: String, _ reason: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/certificates/\(serial)/revoke", method: .post, headers: Self.headers(token), body: Self.json(["reason": reason]))
            }
            let mine = try await issue(f.token("dev")), bobs = try await issue(teammate), pipelines = try await issue(f.token("ci"))
            Self.expectError(try await revoke(bobs, f.token("dev"), "keyCompromise"), .forbidden, "forbidden")
            Self.expectError(try await revoke(mine, f.token("ci"), "keyCompromise"), .forbidden, "forbidden")
            Self.expectError(try await revoke(mine, f.token("dev"), "privilegeWithdrawn"), .forbidden, "forbidden")
            Self.expectError(try await revoke(String(repeating: "ab", count: 20), f.token("dev"), "superseded"), .notFound, "not_found")
            #expect(try await f.runtime.store.certificates(.init(status: .revoked)).isEmpty)
            let own = try await revoke(mine, f.token("dev"), "superseded")
            #expect(own.status == .ok, "\(String(buffer: own.body))")
            #expect(Self.body(own)["revocation_reason"] as? String == "superseded")
            #expect(try await revoke(pipelines, f.token("ci"), "cessationOfOperation").status == .ok)
            #expect(try await revoke(bobs, f.token("admin"), "privilegeWithdrawn").status == .ok)
            #expect(try await f.runtime.store.certificates(.init(status: .revoked)).map(\.serial).sorted() == [mine, bobs, pipelines].sorted())
        }
    }

    @Test("profiles: each token sees what it may request, with key types and validity limits")
    func profiles() async throws {
        let variant = try TestEnvironment.profilesVariant([:], extraFiles: ["named-codesign.yaml": """
            name: named-codesign
            description: Code signing under a name the requester picks
            kind: code-signing
            issuer: issuing-ca
            key:
              source: csr
              algorithms: [rsa-3072, ec-p256]
            validity:
              default: 12h
              max: 2d
            subject:
              organizational_unit: "{team}"
              common_name: "{subject_name}"
            key_usage: [digitalSignature]
            extended_key_usage: [codeSigning]
            certificate_policies: [1.3.6.1.4.1.32473.1.1]
            access:
              roles: [developer]
              teams: [payments]

            """])
        let f = try await Self.fixture(profiles: variant)
        try await f.app.test(.router) { client in
            func listed(_ token: String) async throws -> [String: [String: Any]] {
                let r = try await client.execute(uri: "/api/v1/profiles", method: .get, headers: Self.headers(token))
                #expect(r.status == .ok)
                let profiles = (Self.body(r)["profiles"] as? [[String: Any]]) ?? []
                return Dictionary(uniqueKeysWithValues: profiles.map { ($0["name"] as? String ?? "", $0) })
            }
            let dev = try await listed(f.token("dev"))
            #expect(Set(dev.keys) == ["prerelease-codesign", "named-codesign"])
            #expect(dev["prerelease-codesign"]?["key_types"] as? [String] == ["ec-p256", "ec-p384", "rsa-3072", "rsa-4096"])
            #expect(dev["prerelease-codesign"]?["default_validity"] as? String == "1d" && dev["prerelease-codesign"]?["max_validity"] as? String == "7d")
            #expect(dev["prerelease-codesign"]?["key_source"] as? String == "csr" && dev["prerelease-codesign"]?["subject_name"] as? Bool == false)
            #expect(dev["named-codesign"]?["key_types"] as? [String] == ["rsa-3072", "ec-p256"] && dev["named-codesign"]?["subject_name"] as? Bool == true)
            #expect(Set(try await listed(f.token("otherdev")).keys) == ["prerelease-codesign"])      // named-codesign is for payments only
            #expect(Set(try await listed(f.token("ci")).keys) == ["prerelease-codesign", "ci-release"])
            #expect(try await listed(f.token("auditor")).isEmpty)
            Self.expectError(try await client.execute(uri: "/api/v1/profiles", method: .get, headers: Self.headers(nil)), .unauthorized, "unauthenticated")

            // {subject_name} takes the CSR's common name; the shipped profile ignores it.
            let named = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token("dev")),
                                                 body: Self.json(["profile": "named-codesign", "csr": try Self.csrPEM()]))
            #expect(try Certificate(pemEncoded: try #require(Self.body(named)["certificate"] as? String)).subject
                    == (try DistinguishedName { OrganizationalUnitName("payments"); CommonName("dev") }))
            let nameless = try CertificateSigningRequest(version: .v1, subject: DistinguishedName(), privateKey: .init(P256.Signing.PrivateKey()),
                                                         attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).serializeAsPEM().pemString
            Self.expectError(try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token("dev")),
                                                      body: Self.json(["profile": "named-codesign", "csr": nameless])), .unprocessableContent, "policy_refused")
        }
    }

    @Test("trust over HTTP: /ca/chain.pem, /ca/<name>.pem beside .crt, /tsa/chain.pem from the TSA to the root")
    func trustDistribution() async throws {
        let f = try await Self.fixture()
        try await f.app.test(.router) { client in
            func certificates(_ uri: String) async throws -> [Certificate] {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .ok, "\(uri)")
                #expect(r.headers[.contentType] == "application/pem-certificate-chain" || r.headers[.contentType] == "application/x-pem-file")
                return try PEMDocument.parseMultiple(pemString: String(buffer: r.body)).map { try Certificate(pemDocument: $0) }
            }
            let root = try Certificate(derEncoded: Array(buffer: try await client.execute(uri: "/ca/root.crt", method: .get).body))
            let issuing = try Certificate(derEncoded: Array(buffer: try await client.execute(uri: "/ca/issuing-ca-1.crt", method: .get).body))
            #expect(try await certificates("/ca/root.pem") == [root])
            #expect(try await certificates("/ca/issuing-ca-1.pem") == [issuing])
            #expect(try await certificates("/ca/chain.pem") == [issuing, root])
            let tsaChain = try await certificates("/tsa/chain.pem")
            #expect(tsaChain.count == 3 && tsaChain[1] == issuing && tsaChain[2] == root)
            #expect(tsaChain[0].subject.description.contains("Timestamp Authority"))
            Self.expectError(try await client.execute(uri: "/ca/issuing-ca-1.der", method: .get), .notFound, "not_found")

            // After a forced rotation the successor is active and the old CA retiring: both are in the bundle, newest first.
            _ = try await f.services.rotation.rotate("issuing-ca-1", by: Principal(name: "root", role: .admin, team: nil))
            let successor = try Certificate(derEncoded: Array(buffer: try await client.execute(uri: "/ca/issuing-ca-2.crt", method: .get).body))
            #expect(try await certificates("/ca/chain.pem") == [successor, issuing, root])
        }
    }

    @Test("tokens: created by admins, shown once, stored as hashes, revocable and expiring")
    func tokens() async throws {
        let f = try await Self.fixture()
        try await f.app.test(.router) { client in
            let created = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: Self.headers(f.token("admin")),
                                                   body: Self.json(["role": "developer", "team": "payments", "name": "bob", "expires_in": "1h"]))
            #expect(created.status == .created)
            let token = try #require(Self.body(created)["token"] as? String)
            let id = try #require(Self.body(created)["id"] as? String)
            let stored = try await f.runtime.store.tokens().first { $0.id == id }
            #expect(stored?.hash == APITokens.hash(token) && stored?.hash != token)
            let raw = try String(contentsOfFile: f.runtime.home.databasePath, encoding: .isoLatin1)
            #expect(!raw.contains(token))

            let listed = try await client.execute(uri: "/api/v1/tokens", method: .get, headers: Self.headers(f.token("admin")))
            #expect(!String(buffer: listed.body).contains(token))

            let works = try await client.execute(uri: "/api/v1/certificates", method: .get, headers: Self.headers(token))
            #expect(works.status == .ok)
            let revoked = try await client.execute(uri: "/api/v1/tokens/\(id)/revoke", method: .post, headers: Self.headers(f.token("admin")))
            #expect(revoked.status == .ok)
            Self.expectError(try await client.execute(uri: "/api/v1/certificates", method: .get, headers: Self.headers(token)), .unauthorized, "unauthenticated")
            Self.expectError(try await client.execute(uri: "/api/v1/tokens/\(id)/revoke", method: .post, headers: Self.headers(f.token("admin"))), .conflict, "conflict")
            Self.expectError(try await client.execute(uri: "/api/v1/tokens", method: .post, headers: Self.headers(f.token("admin")), body: Self.json(["role": "developer"])), .badRequest)

            // Without expires_in a token lives 90 days; "never" is how to ask for none; the response says which.
            let standard = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: Self.headers(f.token("admin")), body: Self.json(["role": "auditor"]))
            #expect(standard.status == .created)
            let expiry = try #require(ISO8601DateFormatter().date(from: Self.body(standard)["expires_at"] as? String ?? ""))
            #expect(abs(expiry.timeIntervalSinceNow - 90 * 86_400) < 600)
            let forever = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: Self.headers(f.token("admin")),
                                                   body: Self.json(["role": "auditor", "expires_in": "never"]))
            #expect(forever.status == .created && Self.body(forever)["expires_at"] is NSNull)
            let unclear = try await client.execute(uri: "/api/v1/tokens", method: .post, headers: Self.headers(f.token("admin")),
                                                   body: Self.json(["role": "auditor", "expires_in": "forever"]))
            Self.expectError(unclear, .badRequest, "malformed_input")
            #expect(String(buffer: unclear.body).contains("never"))
        }
        // An expired token: create one that expires in a second, then wait it out.
        let (short, _) = try await f.services.tokens.create(role: .auditor, team: nil, name: "brief", lifetime: .after(.init(seconds: 1)), by: .init(name: "root", role: .admin, team: nil))
        try await Task.sleep(for: .milliseconds(1100))
        try await f.app.test(.router) { client in
            let r = try await client.execute(uri: "/api/v1/certificates", method: .get, headers: Self.headers(short))
            Self.expectError(r, .unauthorized, "unauthenticated")
            #expect((Self.body(r)["error"] as? [String: String])?["message"]?.contains("expired") == true)
        }
    }

    @Test("bad input: the right status, the JSON error shape, no change to the store, and the server keeps serving")
    func badInput() async throws {
        let f = try await Self.fixture()
        let goodCSR = try Self.csrPEM()
        var badSignature = Array(try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(P256.Signing.PrivateKey()),
            attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).derBytes())
        badSignature[badSignature.count - 4] ^= 0x55
        let badSignaturePEM = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: badSignature).pemString
        let before = try await f.runtime.store.countCertificates(.init())
        let keys = try await f.runtime.store.keys()
        try await f.app.test(.router) { client in
            let post: (String?, ByteBuffer?) async throws -> TestResponse = { token, body in
                try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(token), body: body)
            }
            Self.expectError(try await post(nil, Self.json(["profile": "prerelease-codesign", "csr": goodCSR])), .unauthorized, "unauthenticated")
            Self.expectError(try await post("sgt_deadbeef_notarealtoken", Self.json(["profile": "prerelease-codesign", "csr": goodCSR])), .unauthorized, "unauthenticated")
            Self.expectError(try await post("garbage", Self.json([:])), .unauthorized, "unauthenticated")
            Self.expectError(try await post(f.token("dev"), ByteBuffer(string: "this is not json")), .badRequest, "malformed_input")
            Self.expectError(try await post(f.token("dev"), ByteBuffer(string: "[1,2]")), .badRequest, "malformed_input")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign"])), .badRequest, "malformed_input")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign", "csr": goodCSR, "team": "search"])), .badRequest, "malformed_input")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign", "csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"])), .badRequest, "malformed_input")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign", "csr": badSignaturePEM])), .badRequest, "bad_signature")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign", "csr": goodCSR, "validity": "30d"])), .unprocessableContent, "policy_refused")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign", "csr": goodCSR, "validity": "soon"])), .badRequest, "malformed_input")
            Self.expectError(try await post(f.token("dev"), Self.json(["profile": "no-such", "csr": goodCSR])), .notFound, "not_found")
            Self.expectError(try await post(f.token("dev"), ByteBuffer(repeating: UInt8(ascii: "a"), count: 70_000)), .contentTooLarge, "too_large")
            Self.expectError(try await client.execute(uri: "/api/v1/certificates/00ff", method: .get, headers: Self.headers(f.token("admin"))), .notFound, "not_found")
            Self.expectError(try await client.execute(uri: "/api/v1/certificates/nothex", method: .get, headers: Self.headers(f.token("admin"))), .badRequest)
            Self.expectError(try await client.execute(uri: "/api/v1/certificates/00ff/revoke", method: .post, headers: Self.headers(f.token("admin")), body: Self.json(["reason": "keyCompromise"])), .notFound, "not_found")
            Self.expectError(try await client.execute(uri: "/api/v1/certificates/00ff/revoke", method: .post, headers: Self.headers(f.token("admin")), body: Self.json(["reason": "stolen"])), .badRequest)
            Self.expectError(try await client.execute(uri: "/api/v1/certificates?limit=0", method: .get, headers: Self.headers(f.token("admin"))), .badRequest)
            Self.expectError(try await client.execute(uri: "/api/v1/certificates?colour=red", method: .get, headers: Self.headers(f.token("admin"))), .badRequest)
            Self.expectError(try await client.execute(uri: "/no/such/route", method: .get), .notFound, "not_found")
            Self.expectError(try await client.execute(uri: "/ca/nope.crt", method: .get), .notFound, "not_found")
            // Still serving.
            let ok = try await post(f.token("dev"), Self.json(["profile": "prerelease-codesign", "csr": goodCSR]))
            #expect(ok.status == .created)
        }
        #expect(try await f.runtime.store.countCertificates(.init()) == before + 1)
        #expect(try await f.runtime.store.keys() == keys)
        let failedAuth = try await f.runtime.store.auditEntries(after: 0, limit: 10_000).filter { $0.event.action == "auth.fail" }
        #expect(failedAuth.count == 2)  // a missing header is not an authentication attempt
        #expect(failedAuth.contains { $0.event.target == "deadbeef" })
        #expect(!failedAuth.contains { "\($0)".contains("notarealtoken") })
    }

    @Test("failed authentications past the allowance get 429 with Retry-After, one auth.throttle entry per spell, and valid tokens still work")
    func authThrottle() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let services = SignetServices(ca: runtime.ca, repository: runtime.store, revocation: try runtime.makeRevocation(),
                                      timestamping: try runtime.makeTimestampAuthority(), trail: runtime.auditTrail,
                                      authThrottle: AuthFailureThrottle(policy: .init(burst: 3, perSecond: 0.01)))
        let app = try SignetApplication.build(services: services, settings: .init(port: 0, logLevel: .critical))
        let admin = Principal(name: "root", role: .admin, team: nil)
        let auditor = try await services.tokens.create(role: .auditor, team: nil, name: "auditor", by: admin).0
        let before = try await runtime.store.auditEntries(after: 0, limit: 10_000).count
        try await app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for i in 0..<6 {
                let response = try await client.execute(uri: "/api/v1/certificates", method: .get, headers: Self.headers("sgt_0000000\(i)_guess"))
                statuses.append(response.status)
                if response.status == .tooManyRequests {
                    Self.expectError(response, .tooManyRequests, "rate_limited")
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                }
            }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .tooManyRequests, .tooManyRequests, .tooManyRequests])
            // The throttle counts failures only: a valid token from the same client is served.
            let ok = try await client.execute(uri: "/api/v1/certificates", method: .get, headers: Self.headers(auditor))
            #expect(ok.status == .ok)
        }
        // (CRL publication runs in the background and audits too; only the authentication entries matter here.)
        let added = try await runtime.store.auditEntries(after: 0, limit: 10_000).dropFirst(before).map(\.event).filter { $0.action.hasPrefix("auth.") }
        #expect(added.map(\.action) == ["auth.fail", "auth.fail", "auth.fail", "auth.throttle"])
        #expect(added.last?.details["client"] == "unknown")
        #expect(!added.contains { "\($0)".contains("_guess") })
        let report = try await ComplianceReport.collect(ca: runtime.ca, trail: runtime.auditTrail, counts: runtime.store,
                                                        since: Date().addingTimeInterval(-3_600))
        #expect(report.failedAuthentications == 3)
        #expect(report.anomalies.contains { $0.contains("Client unknown was throttled 1 time(s)") })
    }

    @Test("public endpoints: CA certificates, health, metrics")
    func publicEndpoints() async throws {
        let f = try await Self.fixture()
        try await f.app.test(.router) { client in
            let root = try await client.execute(uri: "/ca/root.crt", method: .get)
            #expect(root.status == .ok && root.headers[.contentType] == "application/pkix-cert")
            let rootCert = try Certificate(derEncoded: Array(buffer: root.body))
            #expect(rootCert.subject == rootCert.issuer)
            let named = try await client.execute(uri: "/ca/issuing-ca-1.crt", method: .get)
            #expect(try Certificate(derEncoded: Array(buffer: named.body)).issuer == rootCert.subject)
            // Only CA certificates are published here: the OCSP signer and the TSA are authorities too.
            for other in ["ocsp-signer-1", "timestamping-1", "issuing-ca-2", "issuing-ca-1.crt"] {
                Self.expectError(try await client.execute(uri: "/ca/\(other).crt", method: .get), .notFound, "not_found")
            }
            // A CA that did not exist when asked for is served once rotation records it, and the
            // issuing alias moves to it; the old one stays published.
            _ = try await RotationScheduler(ca: f.runtime.ca).rotate("issuing-ca-1", by: Principal(name: "root", role: .admin, team: nil))
            let successor = try await client.execute(uri: "/ca/issuing-ca-2.crt", method: .get)
            #expect(successor.status == .ok)
            let alias = try await client.execute(uri: "/ca/issuing.crt", method: .get)
            #expect(Array(buffer: alias.body) == Array(buffer: successor.body))
            #expect(Array(buffer: try await client.execute(uri: "/ca/issuing-ca-1.crt", method: .get).body) == Array(buffer: named.body))
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(Self.body(health)["status"] as? String == "ok")
            _ = try await client.execute(uri: "/api/v1/certificates", method: .post, headers: Self.headers(f.token("dev")),
                                         body: Self.json(["profile": "prerelease-codesign", "csr": try Self.csrPEM()]))
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("signet_certificates_issued_total{profile=\"prerelease-codesign\",team=\"payments\"}"))
            #expect(metrics.contains("signet_hsm_sign_seconds"))
            #expect(metrics.contains("http_server_request_duration"))
        }
    }

    @Test("openapi.json describes exactly the routes the server registers")
    func openAPIMatchesRoutes() async throws {
        let f = try await Self.fixture()
        let (_, routes) = SignetApplication.buildRouter(services: f.services)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
        let registered = Set(routes.map { "\($0.method) \($0.path)" })
        #expect(documented == registered, "only documented: \(documented.subtracting(registered)); only registered: \(registered.subtracting(documented))")
        try await f.app.test(.router) { client in
            let served = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(String(buffer: served.body) == OpenAPIDocument.json)
        }
    }
}

@Suite struct HTTPDateTests {
    @Test("IMF-fixdate matches DateFormatter's RFC 9110 form")
    func imfFixdate() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for seconds in [0.0, 1_700_000_000, 1_893_456_000.7, 4_102_444_799] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(HTTPDate.format(date) == formatter.string(from: date))
        }
    }
}

@Suite struct SummaryJSONTests {
    @Test("the hand-written summary JSON is what JSONEncoder writes")
    func matchesEncoder() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let base = Date(timeIntervalSince1970: 1_900_000_000)
        let record = CertificateRecord(serial: "0a1b", issuer: "issuing-ca-1", profile: "prerelease-codesign", subject: "CN=alice \"quoted\",OU=payments",
                                       team: "payments", release: "v1/rc", requester: "alice", keyID: "ff00", notBefore: base, notAfter: base + 86_400,
                                       status: .revoked, revokedAt: base + 60, revocationReason: .keyCompromise, der: nil, createdAt: base + 1)
        let full = record.summary(at: base)
        let sparse = CertificateRecord(serial: "0a1c", issuer: "issuing-ca-1", profile: "prerelease-codesign", subject: "CN=x", team: nil, release: nil,
                                       requester: "bob", keyID: nil, notBefore: base, notAfter: base + 10, status: .valid, der: nil, createdAt: base).summary(at: base + 20)
        for summary in [full, sparse] {
            #expect(summary.json == String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }
}
