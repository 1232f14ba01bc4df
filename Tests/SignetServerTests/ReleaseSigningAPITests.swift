import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SignetCore
import SignetRuntime
@testable import SignetServer
import SignetTestSupport
import Testing
import X509

/// Per-release keys and remote signing over the API: the key never leaves the HSM, only the
/// caller's team may use it, and revoked, retired or expired keys refuse with the reason.
@Suite struct ReleaseSigningAPITests {
    typealias API = APITests

    static func signBody(_ digest: [UInt8], _ algorithm: String = "sha256") -> ByteBuffer {
        API.json(["digest": Data(digest).base64EncodedString(), "algorithm": algorithm])
    }

    @Test("a release key is created once, reused, rotated on request, and signs digests that verify with its certificate")
    func releaseKeyLifecycle() async throws {
        let f = try await API.fixture()
        try await f.app.test(.router) { client in
            let first = try await client.execute(uri: "/api/v1/releases/v1.0.0/key", method: .post, headers: API.headers(f.token("ci")))
            #expect(first.status == .created, "\(String(buffer: first.body))")
            let body = API.body(first)
            let keyID = try #require(body["key_id"] as? String)
            let certificate = try Certificate(pemEncoded: try #require(body["certificate"] as? String))
            #expect(certificate.subject.description.contains("CN=release v1.0.0"))
            #expect(try Array(certificate.extensions.extendedKeyUsage!) == [.codeSigning])

            let again = try await client.execute(uri: "/api/v1/releases/v1.0.0/key", method: .post, headers: API.headers(f.token("ci")))
            #expect(again.status == .ok)
            #expect(API.body(again)["key_id"] as? String == keyID)

            let digest = Array(SHA256.hash(data: Array("artifact".utf8)))
            let signed = try await client.execute(uri: "/api/v1/keys/\(keyID)/sign", method: .post, headers: API.headers(f.token("ci")), body: Self.signBody(digest))
            #expect(signed.status == .ok, "\(String(buffer: signed.body))")
            #expect(API.body(signed)["signature_algorithm"] as? String == "ecdsa-with-SHA256")
            let signatureText = try #require(API.body(signed)["signature"] as? String)
            let signature = try #require(Data(base64Encoded: signatureText))
            // The signature is over the digest the caller sent: verify with the certificate's key over
            // the same message the digest was computed from.
            #expect(certificate.publicKey.isValidSignature(Array(signature), for: Array("artifact".utf8), signatureAlgorithm: .ecdsaWithSHA256))

            let rotated = try await client.execute(uri: "/api/v1/releases/v1.0.0/key?rotate=true", method: .post, headers: API.headers(f.token("ci")))
            #expect(rotated.status == .created)
            let newKeyID = try #require(API.body(rotated)["key_id"] as? String)
            #expect(newKeyID != keyID)
            // The replaced key cannot sign from the moment the rotation answered; the new one can.
            let old = try await client.execute(uri: "/api/v1/keys/\(keyID)/sign", method: .post, headers: API.headers(f.token("ci")), body: Self.signBody(digest))
            API.expectError(old, .conflict, "conflict")
            let new = try await client.execute(uri: "/api/v1/keys/\(newKeyID)/sign", method: .post, headers: API.headers(f.token("ci")), body: Self.signBody(digest))
            #expect(new.status == .ok)
            let again2 = try await client.execute(uri: "/api/v1/releases/v1.0.0/key", method: .post, headers: API.headers(f.token("ci")))
            #expect(API.body(again2)["key_id"] as? String == newKeyID)
        }
        // The new key is in the token, sensitive and non-extractable; the replaced one is destroyed there
        // and recorded so; signatures were audited.
        let keys = try await f.runtime.store.keys().filter { $0.purpose == .release }
        #expect(keys.count == 2 && keys.allSatisfy { $0.team == "payments" && $0.release == "v1.0.0" })
        let live = keys.filter { $0.state == .active }
        #expect(live.count == 1)
        for key in live { #expect(try f.runtime.keyManager.protection(of: key.reference).isFullyProtected) }
        let replaced = try #require(keys.first { $0.state != .active })
        #expect(replaced.state == .destroyed)
        #expect(!(try f.runtime.keyManager.listKeys().contains { $0.reference.idHex == replaced.id }))
        let retire = try await f.runtime.store.auditEntries(after: 0, limit: 10_000).filter { $0.event.action == "key.retire" && $0.event.target == replaced.id }
        #expect(retire.count == 1 && retire[0].event.details["reason"] == "superseded by rotation")
        let audit = try await f.runtime.store.auditEntries(after: 0, limit: 10_000).filter { $0.event.action == "signature.remote" }
        #expect(audit.count == 2 && audit.allSatisfy { $0.event.actor == "ci" && $0.event.details["digest"]?.count == 64 })
    }

    @Test("a team holds at most key.max_live_per_team live release keys; a rotation takes the place of the key it replaces")
    func liveKeyLimit() async throws {
        let profiles = try TestEnvironment.profilesVariant(["ci-release.yaml": { $0.replacingOccurrences(of: "max_live_per_team: 50", with: "max_live_per_team: 2") }])
        let f = try await API.fixture(profiles: profiles)
        try await f.app.test(.router) { client in
            func key(_ release: String, rotate: Bool = false, token: String = "ci") async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/releases/\(release)/key\(rotate ? "?rotate=true" : "")", method: .post, headers: API.headers(f.token(token)))
            }
            #expect(try await key("v1").status == .created)
            #expect(try await key("v2").status == .created)
            let third = try await key("v3")
            API.expectError(third, .unprocessableContent, "policy_refused")
            #expect((API.body(third)["error"] as? [String: String])?["message"]?.contains("max_live_per_team") == true)
            // Asking again for a live release is not a new key; rotating one replaces it.
            #expect(try await key("v1").status == .ok)
            #expect(try await key("v2", rotate: true).status == .created)
            API.expectError(try await key("v3"), .unprocessableContent, "policy_refused")
            // Another team has its own allowance.
            #expect(try await key("v3", token: "teamadmin").status == .created)
        }
        let live = try await f.runtime.store.keys().filter { $0.purpose == .release && $0.team == "payments" && ($0.state == .active || $0.state == .pending) }
        #expect(live.count == 2)
        // A refused request left nothing behind: no key in the token beyond the live ones.
        let inToken = Set(try f.runtime.keyManager.listKeys().map(\.reference.idHex))
        let releaseKeys = try await f.runtime.store.keys().filter { $0.purpose == .release && $0.team == "payments" }
        #expect(releaseKeys.filter { inToken.contains($0.id) }.count == 2)
    }

    @Test("refusals: wrong role, other team, wrong digest length, revoked, retired")
    func refusals() async throws {
        let f = try await API.fixture()
        var mutable = f
        mutable.tokens["otherci"] = try await f.services.tokens.create(role: .ci, team: "search", name: "otherci", by: .init(name: "root", role: .admin, team: nil)).0
        let fixture = mutable
        try await fixture.app.test(.router) { client in
            let developer = try await client.execute(uri: "/api/v1/releases/v1/key", method: .post, headers: API.headers(fixture.token("dev")))
            API.expectError(developer, .forbidden, "forbidden")
            let badName = try await client.execute(uri: "/api/v1/releases/..%2Fetc/key", method: .post, headers: API.headers(fixture.token("ci")))
            API.expectError(badName, .badRequest)
            let created = try await client.execute(uri: "/api/v1/releases/v1/key", method: .post, headers: API.headers(fixture.token("ci")))
            let keyID = try #require(API.body(created)["key_id"] as? String)
            let serial = try #require(API.body(created)["serial"] as? String)
            let digest = Array(SHA256.hash(data: [1, 2, 3]))
            let sign: (String, ByteBuffer) async throws -> TestResponse = { token, body in
                try await client.execute(uri: "/api/v1/keys/\(keyID)/sign", method: .post, headers: API.headers(fixture.token(token)), body: body)
            }
            API.expectError(try await sign("otherci", Self.signBody(digest)), .forbidden, "forbidden")
            API.expectError(try await sign("dev", Self.signBody(digest)), .forbidden, "forbidden")
            API.expectError(try await sign("ci", Self.signBody(Array(digest.prefix(31)))), .badRequest, "malformed_input")
            API.expectError(try await sign("ci", Self.signBody(digest, "md5")), .badRequest, "malformed_input")
            API.expectError(try await sign("ci", API.json(["digest": "%%%", "algorithm": "sha256"])), .badRequest, "malformed_input")
            API.expectError(try await client.execute(uri: "/api/v1/keys/00ff/sign", method: .post, headers: API.headers(fixture.token("ci")), body: Self.signBody(digest)), .notFound)

            // Revoked: refused with 409 and the reason.
            let revoke = try await client.execute(uri: "/api/v1/certificates/\(serial)/revoke", method: .post, headers: API.headers(fixture.token("admin")),
                                                  body: API.json(["reason": "keyCompromise"]))
            #expect(revoke.status == .ok)
            let revoked = try await sign("ci", Self.signBody(digest))
            API.expectError(revoked, .conflict, "conflict")
            #expect((API.body(revoked)["error"] as? [String: String])?["message"]?.contains("revoked") == true)
            // The next release-key request makes a fresh key, since the old one cannot sign.
            let replacement = try await client.execute(uri: "/api/v1/releases/v1/key", method: .post, headers: API.headers(fixture.token("ci")))
            #expect(replacement.status == .created && API.body(replacement)["key_id"] as? String != keyID)
        }
        // The scheduler destroys the revoked release key; signing with it is then refused as retired.
        _ = try await RotationScheduler(ca: f.runtime.ca).runDue(by: .init(name: "scheduler", role: .admin, team: nil))
        let destroyed = try await f.runtime.store.keys().filter { $0.purpose == .release && $0.state == .destroyed }
        #expect(destroyed.count == 1)
        try await fixture.app.test(.router) { client in
            let r = try await client.execute(uri: "/api/v1/keys/\(destroyed[0].id)/sign", method: .post, headers: API.headers(fixture.token("ci")),
                                             body: Self.signBody(Array(SHA256.hash(data: [1]))))
            API.expectError(r, .conflict, "conflict")
        }
        #expect(!(try f.runtime.keyManager.listKeys().contains { $0.reference.idHex == destroyed[0].id }))
    }

    @Test("GET /api/v1/keys lists the keys a caller may sign with: its team's, active, certificate valid and unexpired")
    func listKeys() async throws {
        let clock = ManualClock(Date())
        let f = try await API.fixture(clock: clock)
        var mutable = f
        mutable.tokens["otherci"] = try await f.services.tokens.create(role: .ci, team: "search", name: "otherci", by: .init(name: "root", role: .admin, team: nil)).0
        let fixture = mutable
        try await fixture.app.test(.router) { client in
            func list(_ token: String, _ query: String = "") async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/keys\(query)", method: .get, headers: API.headers(fixture.token(token)))
            }
            func key(_ release: String, _ token: String = "ci", rotate: Bool = false) async throws -> [String: Any] {
                API.body(try await client.execute(uri: "/api/v1/releases/\(release)/key\(rotate ? "?rotate=true" : "")", method: .post, headers: API.headers(fixture.token(token))))
            }
            let empty = try await list("ci")
            #expect(empty.status == .ok)
            #expect(API.body(empty)["team"] as? String == "payments" && API.body(empty)["principal"] as? String == "ci")
            #expect((API.body(empty)["keys"] as? [Any])?.isEmpty == true)

            let v1 = try await key("v1"), v2 = try await key("v2")
            _ = try await key("s1", "otherci")
            let listed = try #require(API.body(try await list("ci"))["keys"] as? [[String: Any]])
            #expect(listed.map { $0["release"] as? String } == ["v1", "v2"])
            let first = listed[0]
            #expect(first["key_id"] as? String == v1["key_id"] as? String && first["serial"] as? String == v1["serial"] as? String)
            #expect(first["certificate"] as? String == v1["certificate"] as? String && first["team"] as? String == "payments")
            #expect(first["algorithm"] as? String == "ec-p256" && (first["chain"] as? [String])?.count == 2 && first["not_after"] is String)
            #expect(first["created"] == nil)
            // One release; another team's keys never show; an admin may ask for any team, and without one sees all.
            #expect((API.body(try await list("ci", "?release=v2"))["keys"] as? [[String: Any]])?.map { $0["key_id"] as? String } == [v2["key_id"] as? String])
            #expect((API.body(try await list("otherci"))["keys"] as? [[String: Any]])?.map { $0["release"] as? String } == ["s1"])
            API.expectError(try await list("ci", "?team=search"), .forbidden, "forbidden")
            #expect((API.body(try await list("admin", "?team=search"))["keys"] as? [[String: Any]])?.count == 1)
            #expect((API.body(try await list("admin"))["keys"] as? [[String: Any]])?.count == 3)
            API.expectError(try await list("dev"), .forbidden, "forbidden")
            API.expectError(try await list("auditor"), .forbidden, "forbidden")
            API.expectError(try await list("ci", "?limit=3"), .badRequest, "malformed_input")
            API.expectError(try await list("ci", "?release=..%2Fx"), .badRequest, "malformed_input")
            API.expectError(try await client.execute(uri: "/api/v1/keys", method: .get, headers: API.headers(nil)), .unauthorized)

            // A revoked key and a rotated-away key leave the list; the rotation's successor joins it.
            let revoke = try await client.execute(uri: "/api/v1/certificates/\(v1["serial"] as? String ?? "")/revoke", method: .post,
                                                  headers: API.headers(fixture.token("admin")), body: API.json(["reason": "keyCompromise"]))
            #expect(revoke.status == .ok)
            let rotated = try await key("v2", rotate: true)
            #expect((API.body(try await list("ci"))["keys"] as? [[String: Any]])?.map { $0["key_id"] as? String } == [rotated["key_id"] as? String])
            // Expired certificates leave it too.
            clock.advance(by: 8 * 86_400)
            #expect((API.body(try await list("ci"))["keys"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("an expired release certificate refuses signing with 422")
    func expired() async throws {
        let clock = ManualClock(Date())
        let f = try await API.fixture(clock: clock)
        try await f.app.test(.router) { client in
            let created = try await client.execute(uri: "/api/v1/releases/v7/key", method: .post, headers: API.headers(f.token("ci")))
            let keyID = try #require(API.body(created)["key_id"] as? String)
            clock.advance(by: 8 * 86_400)  // ci-release certificates live 7 days
            let r = try await client.execute(uri: "/api/v1/keys/\(keyID)/sign", method: .post, headers: API.headers(f.token("ci")),
                                             body: Self.signBody(Array(SHA256.hash(data: [1]))))
            API.expectError(r, .unprocessableContent, "policy_refused")
        }
    }
}

