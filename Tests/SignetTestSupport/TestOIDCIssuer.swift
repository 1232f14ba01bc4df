import _CryptoExtras
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdTesting
import SignetCore

/// A local OIDC issuer for tests, playing GitHub Actions' and GitLab CI's token services: keys made in
/// the test (RSA-2048 for RS256 as both providers use, P-256 for ES256), a discovery document and JWKS
/// served on loopback, and ID tokens carrying every claim those providers send. Tokens are signed
/// here with swift-crypto, independently of the jwt-kit code that verifies them in Signet, and can be
/// forged in every way an attacker would (alg none, HS256 with the public key, edited payloads).
///
/// It also answers GitHub's ID token request (`/github/token?audience=…` with the request bearer), so
/// `signet sign` can be run exactly as in a workflow with `id-token: write`.
public final class TestOIDCIssuer: @unchecked Sendable {
    /// A signing key and its public JWK.
    public struct Key: Sendable {
        public let kid: String
        public let alg: String
        let rsa: _RSA.Signing.PrivateKey?
        let ec: P256.Signing.PrivateKey?
        public let jwk: [String: String]
        /// The public key as a PEM document (what the HS256 confusion attack uses as the HMAC secret).
        public let publicKeyPEM: String

        public static func rsa(kid: String) throws -> Key {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let primitives = try key.publicKey.getKeyPrimitives()
            let (modulus, exponent) = (primitives.modulus, primitives.publicExponent)
            return Key(kid: kid, alg: "RS256", rsa: key, ec: nil,
                       jwk: ["kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": modulus.base64URLEncoded, "e": exponent.base64URLEncoded],
                       publicKeyPEM: key.publicKey.pemRepresentation)
        }

        public static func ec(kid: String) -> Key {
            let key = P256.Signing.PrivateKey()
            let raw = key.publicKey.rawRepresentation
            return Key(kid: kid, alg: "ES256", rsa: nil, ec: key,
                       jwk: ["kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid,
                             "x": Data(raw.prefix(32)).base64URLEncoded, "y": Data(raw.suffix(32)).base64URLEncoded],
                       publicKeyPEM: key.publicKey.pemRepresentation)
        }

        func sign(_ input: [UInt8]) throws -> [UInt8] {
            if let rsa { return Array(try rsa.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation) }
            // JWS ES256 is r || s, 32 octets each (RFC 7518 §3.4).
            return Array(try ec!.signature(for: input).rawRepresentation)
        }
    }

    /// A claim value as the providers send them.
    public enum Claim: Encodable, Sendable, Hashable {
        case string(String)
        case int(Int64)
        case bool(Bool)
        case number(Double)
        case strings([String])
        case objects([[String: String]])

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .strings(let value): try container.encode(value)
            case .objects(let value): try container.encode(value)
            }
        }
    }

    private let lock = NSLock()
    private var published: [Key]
    private var signing: Key
    private var down = false
    private var fetches = 0
    /// The bearer GitHub's runner hands a job in ACTIONS_ID_TOKEN_REQUEST_TOKEN.
    public let requestToken = "ghrt_" + UUID().uuidString
    public private(set) var url = ""

    public init() throws {
        let first = try Key.rsa(kid: "rsa-1")
        self.published = [first, Key.ec(kid: "ec-1")]
        self.signing = first
    }

    /// Runs the issuer on a loopback port for the duration of `body`.
    public func run<T: Sendable>(_ body: @escaping @Sendable (TestOIDCIssuer) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/.well-known/openid-configuration") { _, _ in
            self.json(["issuer": self.url, "jwks_uri": self.url + "/jwks", "response_types_supported": ["id_token"],
                       "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256", "ES256"]])
        }
        router.get("/jwks") { _, _ -> Response in
            let (keys, down) = self.withLock { () -> ([[String: String]], Bool) in
                self.fetches += 1
                return (self.published.map(\.jwk), self.down)
            }
            if down { return Response(status: .serviceUnavailable) }
            return self.json(["keys": keys])
        }
        router.get("/github/token") { request, _ -> Response in
            guard request.headers[.authorization] == "bearer \(self.requestToken)" else { return Response(status: .unauthorized) }
            let audience = request.uri.queryParameters["audience"].map(String.init) ?? "https://github.com/acme"
            let token = try self.githubToken(audience: audience)
            return self.json(["count": 1, "value": token])
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let box = ResultBox<T>()
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestFailure("the OIDC issuer got no port") }
            self.url = "http://127.0.0.1:\(port)"
            box.value = try await body(self)
        }
        guard let value = box.value else { throw TestFailure("the OIDC issuer's body did not finish") }
        return value
    }

    final class ResultBox<T>: @unchecked Sendable { var value: T? }

    /// Runs the issuer's endpoints in a separate `python3` process instead, serving files written from
    /// this issuer's state: discovery, the JWKS and GitHub's token request (answered with a token minted
    /// for `audience`). For tests that block threads of their own process while Signet fetches keys
    /// (running the `signet` binary), where an in-process issuer could starve.
    public func runOutOfProcess<T>(audience: String = "signet", _ body: (TestOIDCIssuer) throws -> T) throws -> T {
        let directory = TestEnvironment.temporaryDirectory("issuer")
        let script = """
            import http.server, os, sys
            root, expected = sys.argv[1], sys.argv[2]
            routes = {"/.well-known/openid-configuration": "discovery.json", "/jwks": "jwks.json", "/github/token": "github.json"}
            class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def do_GET(self):
                    name = routes.get(self.path.split("?")[0])
                    if name == "github.json" and self.headers.get("Authorization") != "bearer " + expected: name = None
                    if name is None or not os.path.exists(os.path.join(root, name)):
                        self.send_response(404); self.end_headers(); return
                    data = open(os.path.join(root, name), "rb").read()
                    self.send_response(200); self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        try script.write(toFile: directory + "/issuer.py", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessRunner.which("python3") ?? "/usr/bin/python3")
        process.arguments = [directory + "/issuer.py", directory, requestToken]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // SIGKILL: the test process may ignore SIGTERM, and the child inherits that.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        var line = Data()
        while !line.contains(0x0a) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("the out-of-process OIDC issuer did not start")
        }
        url = "http://127.0.0.1:\(port)"
        func write(_ object: [String: Any], _ name: String) throws {
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        try write(["issuer": url, "jwks_uri": url + "/jwks", "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                   "id_token_signing_alg_values_supported": ["RS256", "ES256"]], "discovery.json")
        try jwksDocument.write(to: URL(fileURLWithPath: directory + "/jwks.json"))
        try write(["count": 1, "value": try sign(githubClaims(audience: audience, lifetime: 3600))], "github.json")
        return try body(self)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func json(_ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The published key set as JSON, for issuers configured with a `jwks_file`.
    public var jwksDocument: Data {
        let keys = withLock { published.map(\.jwk) }
        return (try? JSONSerialization.data(withJSONObject: ["keys": keys], options: [.sortedKeys])) ?? Data()
    }

    /// How often the JWKS was fetched.
    public var jwksFetches: Int { withLock { fetches } }

    /// Makes the JWKS endpoint answer 503 (down) or serve again.
    public func setDown(_ isDown: Bool) { withLock { down = isDown } }

    /// Key rollover: a new RSA key signs from now on; the old key stays published unless `dropOld`.
    @discardableResult
    public func rotate(dropOld: Bool = false) throws -> String {
        let next = try Key.rsa(kid: "rsa-\(UUID().uuidString.prefix(8))")
        withLock {
            published = (dropOld ? published.filter { $0.kid != signing.kid } : published) + [next]
            signing = next
        }
        return next.kid
    }

    /// Signs with the EC key from now on (ES256).
    public func useEC() { withLock { signing = published.first { $0.alg == "ES256" } ?? signing } }

    public var currentKey: Key { withLock { signing } }

    // MARK: Tokens

    /// GitHub Actions' claims for a job of `repository` on `ref` (docs.github.com, "OIDC token claims").
    public func githubClaims(repository: String = "acme/payments", ref: String = "refs/tags/v2.0.0", environment: String? = "release",
                             workflow: String = ".github/workflows/release.yml", audience: String = "signet", lifetime: TimeInterval = 300,
                             issuedAt: Date = Date(), refProtected: Bool = true, runID: String = "9187654321") -> [String: Claim] {
        let owner = String(repository.split(separator: "/").first ?? "acme")
        let sha = "c040cae0f0dc81641728557b80f09cfa23b83fe5"
        let refType = ref.hasPrefix("refs/tags/") ? "tag" : "branch"
        var claims: [String: Claim] = [
            "jti": .string(UUID().uuidString.lowercased()),
            "sub": .string(environment.map { "repo:\(repository):environment:\($0)" } ?? "repo:\(repository):ref:\(ref)"),
            "aud": .string(audience),
            "ref": .string(ref),
            "ref_protected": .string(refProtected ? "true" : "false"),
            "ref_type": .string(refType),
            "sha": .string(sha),
            "repository": .string(repository),
            "repository_owner": .string(owner),
            "repository_owner_id": .string("2020"),
            "repository_visibility": .string("private"),
            "repository_id": .string("424242"),
            "actor_id": .string("1001"),
            "actor": .string("octocat"),
            "workflow": .string("Release"),
            "workflow_ref": .string("\(repository)/\(workflow)@\(ref)"),
            "workflow_sha": .string(sha),
            "head_ref": .string(""),
            "base_ref": .string(""),
            "event_name": .string("push"),
            "job_workflow_ref": .string("\(repository)/\(workflow)@\(ref)"),
            "job_workflow_sha": .string(sha),
            "runner_environment": .string("github-hosted"),
            "run_id": .string(runID),
            "run_number": .string("42"),
            "run_attempt": .string("1"),
            "check_run_id": .string("90000001"),
            "iss": .string(url),
            "nbf": .int(Int64(issuedAt.timeIntervalSince1970) - 5),
            "iat": .int(Int64(issuedAt.timeIntervalSince1970)),
            "exp": .int(Int64(issuedAt.timeIntervalSince1970 + lifetime)),
        ]
        if let environment { claims["environment"] = .string(environment) }
        return claims
    }

    /// GitLab CI's claims for a job of `project` on a tag or branch (docs.gitlab.com, "ID token authentication").
    public func gitlabClaims(project: String = "acme/tools", refName: String = "v3.1.0", refType: String = "tag", environment: String? = "production",
                             audience: String = "signet", lifetime: TimeInterval = 300, issuedAt: Date = Date(), refProtected: Bool = true) -> [String: Claim] {
        let namespace = String(project.split(separator: "/").first ?? "acme")
        let refPath = (refType == "tag" ? "refs/tags/" : "refs/heads/") + refName
        let host = URL(string: url)?.host.map { "\($0):\(URL(string: url)?.port ?? 80)" } ?? "127.0.0.1"
        let sha = "714a629c0b401fdce83e847fc9589983fc6f46bc"
        var claims: [String: Claim] = [
            "namespace_id": .string("72"),
            "namespace_path": .string(namespace),
            "project_id": .string("20"),
            "project_path": .string(project),
            "user_id": .string("1"),
            "user_login": .string("sample-user"),
            "user_email": .string("sample-user@example.com"),
            "user_access_level": .string("maintainer"),
            "user_identities": .objects([["provider": "github", "extern_uid": "2435223452345"]]),
            "pipeline_id": .string("574"),
            "pipeline_source": .string("push"),
            "job_id": .string("302"),
            "ref": .string(refName),
            "ref_type": .string(refType),
            "ref_path": .string(refPath),
            "ref_protected": .string(refProtected ? "true" : "false"),
            "groups_direct": .strings([namespace, "\(namespace)/subgroup"]),
            "runner_id": .int(27),
            "runner_environment": .string("gitlab-hosted"),
            "sha": .string(sha),
            "project_visibility": .string("internal"),
            "ci_config_ref_uri": .string("\(host)/\(project)//.gitlab-ci.yml@\(refPath)"),
            "ci_config_sha": .string(sha),
            "jti": .string(UUID().uuidString.lowercased()),
            "iss": .string(url),
            "iat": .int(Int64(issuedAt.timeIntervalSince1970)),
            "nbf": .int(Int64(issuedAt.timeIntervalSince1970) - 5),
            "exp": .int(Int64(issuedAt.timeIntervalSince1970 + lifetime)),
            "sub": .string("project_path:\(project):ref_type:\(refType):ref:\(refName)"),
            "aud": .string(audience),
        ]
        if let environment {
            claims["environment"] = .string(environment)
            claims["environment_protected"] = .string("true")
            claims["deployment_tier"] = .string("production")
            claims["environment_action"] = .string("start")
        }
        return claims
    }

    public func githubToken(audience: String = "signet", issuedAt: Date = Date()) throws -> String {
        try sign(githubClaims(audience: audience, issuedAt: issuedAt))
    }

    /// A token over `claims`, signed by the current key (or `key`), with the header GitHub sends
    /// (`typ`, `alg`, `kid`, and for RSA keys `x5t`).
    public func sign(_ claims: [String: Claim], key: Key? = nil, header extra: [String: String] = [:]) throws -> String {
        let key = key ?? currentKey
        var header = ["typ": "JWT", "alg": key.alg, "kid": key.kid]
        if key.rsa != nil { header["x5t"] = Data(SHA256.hash(data: Array(key.kid.utf8))).prefix(20).base64URLEncoded }
        for (name, value) in extra { header[name] = value }
        let input = Self.encode(header) + "." + Self.encode(claims)
        return input + "." + Data(try key.sign(Array(input.utf8))).base64URLEncoded
    }

    /// Base64url of JSON with sorted keys.
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try! encoder.encode(value)).base64URLEncoded
    }

    // MARK: Forgeries

    /// `alg: none` with an empty signature (RFC 7519 §6 unsecured JWT).
    public func unsecured(_ claims: [String: Claim]) -> String {
        Self.encode(["typ": "JWT", "alg": "none"]) + "." + Self.encode(claims) + "."
    }

    /// The algorithm-confusion forgery: HS256 keyed with the issuer's RSA public key (as PEM), which an
    /// attacker has (it is published), and the real key's kid.
    public func hs256WithPublicKey(_ claims: [String: Claim]) -> String {
        let key = published.first { $0.alg == "RS256" }!
        let input = Self.encode(["typ": "JWT", "alg": "HS256", "kid": key.kid]) + "." + Self.encode(claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(key.publicKeyPEM.utf8)))
        return input + "." + Data(mac).base64URLEncoded
    }

    /// A valid token whose payload was then replaced (signature kept).
    public func tamperedPayload(_ claims: [String: Claim], changed: [String: Claim]) throws -> String {
        let token = try sign(claims)
        let parts = token.split(separator: ".")
        return "\(parts[0]).\(Self.encode(claims.merging(changed) { _, new in new })).\(parts[2])"
    }

    /// A valid token with one bit of its signature flipped.
    public func tamperedSignature(_ claims: [String: Claim]) throws -> String {
        let token = try sign(claims)
        let parts = token.split(separator: ".")
        var signature = Data(base64URLEncodedTest: String(parts[2]))!
        signature[signature.startIndex + 10] ^= 0x01
        return "\(parts[0]).\(parts[1]).\(signature.base64URLEncoded)"
    }

    /// A token signed by a key the issuer never published, under a kid it does not know.
    public func unknownKid(_ claims: [String: Claim]) throws -> String {
        try sign(claims, key: try Key.rsa(kid: "never-published"))
    }
}

extension Data {
    init?(base64URLEncodedTest text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
