import Foundation
import SignetTestSupport
import Testing

/// Hostile input against a real `signet serve` and the real `signet` binary. Each request must get
/// its refusal (400 with the JSON error shape; the protocol's own answer for OCSP and the TSA), and
/// the process must still be up and answer `/healthz` afterwards: one trap in a parser takes OCSP,
/// the TSA and CRL serving down with it. The first two cases are the attacks of issue 18.
@Suite(.serialized) struct ServerHostileInputTests {
    struct Attack: Sendable, CustomStringConvertible {
        enum Caller: Sendable { case developer, auditor, admin, nobody }
        let description: String
        let caller: Caller
        let method: String
        let path: String
        var body: [UInt8]? = nil
        var headers: [String: String] = [:]
        /// The status expected and, for 4xx, the error code expected in the JSON body.
        var status = 400
        var code = "malformed_input"
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let attacks: [Attack] = [
        // Issue 18: an overflow trap in ValidityDuration(parsing:) and Int64(since * 1000) in the store.
        Attack(description: "expiring_within overflowing Int64", caller: .developer, method: "GET",
               path: "/api/v1/certificates?expiring_within=9223372036854775807s1s"),
        Attack(description: "audit since 300000000y", caller: .auditor, method: "GET", path: "/api/v1/audit?since=300000000y"),
        // Durations, numbers and cursors at and past their edges.
        Attack(description: "audit since overflowing Int64", caller: .auditor, method: "GET", path: "/api/v1/audit?since=9223372036854775807s1s"),
        Attack(description: "inventory window overflowing Int64", caller: .auditor, method: "GET",
               path: "/api/v1/inventory?expiring_within=9223372036854775807s9223372036854775807s"),
        Attack(description: "negative duration", caller: .developer, method: "GET", path: "/api/v1/certificates?expiring_within=-1d"),
        Attack(description: "duration of 101 years", caller: .developer, method: "GET", path: "/api/v1/certificates?expiring_within=101y"),
        Attack(description: "huge limit", caller: .developer, method: "GET", path: "/api/v1/certificates?limit=99999999999999999999999"),
        Attack(description: "negative limit", caller: .developer, method: "GET", path: "/api/v1/certificates?limit=-1"),
        Attack(description: "nan limit", caller: .auditor, method: "GET", path: "/api/v1/audit?limit=nan"),
        Attack(description: "negative audit position", caller: .auditor, method: "GET", path: "/api/v1/audit?after=-1"),
        Attack(description: "audit position past Int64", caller: .auditor, method: "GET", path: "/api/v1/audit?after=9223372036854775808"),
        Attack(description: "nan cursor", caller: .developer, method: "GET", path: "/api/v1/certificates?after=nan_01"),
        Attack(description: "infinite cursor", caller: .developer, method: "GET", path: "/api/v1/certificates?after=inf_01"),
        Attack(description: "cursor past Double", caller: .developer, method: "GET", path: "/api/v1/certificates?after=1e400_01"),
        Attack(description: "cursor with an overlong serial", caller: .developer, method: "GET",
               path: "/api/v1/certificates?after=1790000000.0_" + String(repeating: "ab", count: 400)),
        // Strings: bad UTF-8, control characters, overlong and repeated values.
        Attack(description: "status as invalid UTF-8", caller: .developer, method: "GET", path: "/api/v1/certificates?status=%ff%fe"),
        Attack(description: "team with a NUL", caller: .admin, method: "GET", path: "/api/v1/certificates?team=pay%00ments"),
        Attack(description: "actor with a line break", caller: .auditor, method: "GET", path: "/api/v1/audit?actor=a%0Ab"),
        Attack(description: "an 8 KiB profile name", caller: .developer, method: "GET",
               path: "/api/v1/certificates?profile=" + String(repeating: "p", count: 8192)),
        Attack(description: "a repeated limit", caller: .developer, method: "GET", path: "/api/v1/certificates?limit=5&limit=6"),
        Attack(description: "an unknown parameter", caller: .developer, method: "GET", path: "/api/v1/certificates?expiring_witin=1d"),
        Attack(description: "a 200-octet serial", caller: .developer, method: "GET", path: "/api/v1/certificates/" + String(repeating: "7f", count: 200)),
        Attack(description: "a serial that is not hex", caller: .developer, method: "GET", path: "/api/v1/certificates/%ff%00"),
        // JSON bodies.
        Attack(description: "validity overflowing Int64", caller: .developer, method: "POST", path: "/api/v1/certificates",
               body: json(#"{"profile":"prerelease-codesign","csr":"x","validity":"9223372036854775807s1s"}"#)),
        Attack(description: "JSON nested 30,000 deep", caller: .developer, method: "POST", path: "/api/v1/certificates",
               body: json(#"{"profile":"# + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000) + "}")),
        Attack(description: "JSON that is not UTF-8", caller: .developer, method: "POST", path: "/api/v1/certificates",
               body: [0x7b, 0x22, 0x70, 0x72, 0x6f, 0x66, 0x69, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x80, 0x22, 0x7d]),
        Attack(description: "a number past Double", caller: .developer, method: "POST", path: "/api/v1/certificates",
               body: json(#"{"profile":1e400,"csr":"x"}"#)),
        Attack(description: "a lone surrogate", caller: .developer, method: "POST", path: "/api/v1/certificates",
               body: json(#"{"profile":"\ud800","csr":"x"}"#)),
        Attack(description: "a body that is an array", caller: .developer, method: "POST", path: "/api/v1/certificates", body: json("[1,2,3]")),
        Attack(description: "a 60 KiB CSR that is not one", caller: .developer, method: "POST", path: "/api/v1/certificates",
               body: json(#"{"profile":"prerelease-codesign","csr":""# + String(repeating: "A", count: 60_000) + #""}"#)),
        Attack(description: "token expiry overflowing Int64", caller: .admin, method: "POST", path: "/api/v1/tokens",
               body: json(#"{"role":"auditor","expires_in":"9223372036854775807s1s"}"#)),
        Attack(description: "token role of the wrong type", caller: .admin, method: "POST", path: "/api/v1/tokens", body: json(#"{"role":[[[1]]]}"#)),
        Attack(description: "revocation reason that is null bytes", caller: .admin, method: "POST", path: "/api/v1/certificates/01/revoke",
               body: json(#"{"reason":"\u0000\u0000"}"#)),
        Attack(description: "a digest that is not base64", caller: .admin, method: "POST", path: "/api/v1/keys/00/sign",
               body: json(#"{"digest":"%%%","algorithm":"sha256"}"#)),
        // Credentials: refused as unauthenticated, whatever they hold.
        Attack(description: "a 6 KiB bearer token", caller: .nobody, method: "GET", path: "/api/v1/certificates",
               headers: ["Authorization": "Bearer sgt_" + String(repeating: "a", count: 6000)], status: 401, code: "unauthenticated"),
    ]

    static func makeServer() throws -> (ServerProcess, [Attack.Caller: String], String) {
        let work = TestEnvironment.temporaryDirectory("hostile")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        func token(_ args: [String]) throws -> String {
            try OpenSSL.check(ProcessRunner.signet(["token", "create", "--home", home] + args), "token create").output
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tokens: [Attack.Caller: String] = [
            .developer: try token(["--role", "developer", "--team", "payments"]),
            .auditor: try token(["--role", "auditor"]),
            .admin: try token(["--role", "admin"]),
        ]
        return (try ServerProcess(home: home), tokens, home)
    }

    /// The server is still the same process and answers its health check.
    static func expectAlive(_ server: ServerProcess, after what: String) async throws {
        #expect(server.process.isRunning, "signet serve died after \(what)")
        let health = try await HTTPClient.request(server.baseURL + "/healthz")
        #expect(health.status == 200, "/healthz after \(what): \(health.status) \(health.text)")
    }

    @Test("hostile API requests get a 4xx with the JSON error shape, and the server stays up after each")
    func hostileRequests() async throws {
        let (server, tokens, _) = try Self.makeServer()
        defer { server.stop() }
        for attack in Self.attacks {
            var headers = attack.headers
            if let token = tokens[attack.caller] { headers["Authorization"] = "Bearer \(token)" }
            if attack.body != nil { headers["Content-Type"] = "application/json" }
            let response = try await HTTPClient.request(server.baseURL + attack.path, method: attack.method, headers: headers, body: attack.body)
            #expect(response.status == attack.status, "\(attack): \(response.status) \(response.text.prefix(300))")
            #expect(response.headers["content-type"] == "application/json", "\(attack)")
            let error = response.json["error"] as? [String: Any]
            #expect(error?["code"] as? String == attack.code, "\(attack): \(response.text.prefix(300))")
            let message = error?["message"] as? String ?? ""
            #expect(!message.isEmpty && message.count < 1000, "\(attack): message of \(message.count) characters")
            try await Self.expectAlive(server, after: attack.description)
        }
    }

    @Test("hostile OCSP and TSA requests are answered in their protocols, and the server stays up")
    func hostileProtocolRequests() async throws {
        let (server, _, _) = try Self.makeServer()
        defer { server.stop() }
        let malformedRequest: [UInt8] = [0x30, 0x03, 0x0a, 0x01, 0x01]  // OCSPResponse, status malformedRequest (RFC 6960 §4.2.1)
        let ocspGets = ["%%%%", "%ff%fe%00", String(repeating: "A", count: 40_000), "MAMCAQA%3D", "_-_-_-_-", "AAAA/AAAA/AAAA"]
        for path in ocspGets {
            // Raw, since URLSession refuses to send some of these paths at all.
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send(RawHTTPConnection.request("GET", "/ocsp/" + path))
            let response = try #require(try connection.readResponse(), "GET /ocsp/\(path.prefix(40)): no answer")
            #expect(response.status == 200 && response.body == malformedRequest, "GET /ocsp/\(path.prefix(40)): \(response.status) \(response.body.prefix(16))")
            try await Self.expectAlive(server, after: "GET /ocsp/\(path.prefix(40))")
        }
        // An OCSPRequest whose CertID serial is 16 KiB long and one claiming a length of 2^63.
        let hugeLength: [UInt8] = [0x30, 0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00]
        for body in [[0x30, 0x00], hugeLength, [UInt8](repeating: 0x30, count: 16_000), Array("not DER".utf8)] as [[UInt8]] {
            let ocsp = try await HTTPClient.request(server.baseURL + "/ocsp", method: "POST", headers: ["Content-Type": "application/ocsp-request"], body: body)
            #expect(ocsp.status == 200 && ocsp.body == malformedRequest, "POST /ocsp \(body.prefix(8)): \(ocsp.body.prefix(16))")
            let tsa = try await HTTPClient.request(server.baseURL + "/tsa", method: "POST", headers: ["Content-Type": "application/timestamp-query"], body: body)
            // A TimeStampResp whose PKIStatusInfo says rejection: SEQUENCE { SEQUENCE { INTEGER 2, … (RFC 3161 §2.4.2).
            #expect(tsa.status == 200 && tsa.headers["content-type"] == "application/timestamp-reply", "POST /tsa: \(tsa.status)")
            #expect(tsa.body.count > 7 && tsa.body[0] == 0x30 && tsa.body[2] == 0x30 && Array(tsa.body[4..<7]) == [0x02, 0x01, 0x02],
                    "POST /tsa: \(tsa.body.prefix(16))")
            try await Self.expectAlive(server, after: "POST /ocsp and /tsa with \(body.prefix(8))")
        }
    }

    /// These never reach Signet's handlers: NIO's HTTP parser refuses them (a bare 400, or the
    /// connection closed), and what matters is that the process survives.
    @Test("a request line with raw invalid UTF-8, a header with a control character and a 64 KiB query leave the server up")
    func rawHostileRequests() async throws {
        let (server, tokens, _) = try Self.makeServer()
        defer { server.stop() }
        let auth = ["Authorization": "Bearer \(tokens[.developer]!)"]
        var raw = Array("GET /api/v1/certificates?team=".utf8) + [0xff, 0xfe, 0xc0, 0x80] + Array(" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(auth["Authorization"]!)\r\n\r\n".utf8)
        let connection = try RawHTTPConnection(port: server.port)
        try connection.send(raw)
        if let response = try? connection.readResponse() {
            #expect((400..<500).contains(response.status), "raw invalid UTF-8: \(response.status)")
        }
        try await Self.expectAlive(server, after: "a request line with invalid UTF-8")
        let bell = try RawHTTPConnection(port: server.port)
        try bell.send(RawHTTPConnection.request("GET", "/api/v1/certificates", headers: ["Authorization": "Bearer sgt_0011aaff_\u{7}x"]))
        if let response = try? bell.readResponse() {
            #expect((400..<500).contains(response.status), "a header with a control character: \(response.status)")
        }
        try await Self.expectAlive(server, after: "a header with a control character")
        raw = RawHTTPConnection.request("GET", "/api/v1/certificates?release=" + String(repeating: "r", count: 64 * 1024), headers: auth)
        let second = try RawHTTPConnection(port: server.port)
        try? second.send(raw)
        if let response = try? second.readResponse() {
            #expect((400..<500).contains(response.status), "64 KiB query: \(response.status)")
        }
        try await Self.expectAlive(server, after: "a 64 KiB query")
    }

    @Test("the CLI meets the same input with one line on stderr and a non-zero exit, and changes nothing")
    func hostileCommandLines() throws {
        let work = TestEnvironment.temporaryDirectory("hostile-cli")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        func tokens() throws -> String { try OpenSSL.check(ProcessRunner.signet(["token", "list", "--home", home]), "token list").output }
        let tokensBefore = try tokens()
        let cases: [([String], String)] = [
            // Issue 18: the listing's duration overflowed Int64 here as it did over HTTP.
            (["list", "--expiring-within", "9223372036854775807s1s"], "Expected a duration"),
            (["audit", "show", "--since", "300000000y"], "at most 100y"),
            (["inventory", "--expiring-within", "9223372036854775807s9223372036854775807s"], "Expected a duration"),
            (["report", "--since", "1000000y"], "at most 100y"),
            (["list", "--limit", "0"], "integer from 1"),
            (["list", "--limit", "99999999999999999999"], "--limit"),
            (["list", "--status", "valid\nrevoked"], "Unknown status"),
            (["list", "--team", String(repeating: "t", count: 10_000)], "team name"),
            (["show", String(repeating: "ab", count: 100)], "1-20 octets"),
            (["revoke", "zz", "--reason", "keyCompromise"], "1-20 octets in hex"),
            (["token", "create", "--role", "admin", "--expires", "9223372036854775807s1s"], "Expected a token lifetime"),
            (["issue", "--profile", "prerelease-codesign", "--team", "payments", "--csr", "/dev/null", "--validity", "1y9223372036854775807s"], "Expected a duration"),
            (["serve", "--listen", "127.0.0.1:99999"], "Expected --listen"),
            (["serve", "--listen", "[]:80"], "Expected --listen"),
            (["list", "--bogus"], "Unknown option"),
        ]
        for (args, expected) in cases {
            let result = try ProcessRunner.signet(args + ["--home", home], environment: ["SIGNET_HSM_PIN": nil])
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            #expect(!result.succeeded, "\(args.joined(separator: " ").prefix(80)) succeeded")
            #expect(!result.signaled, "\(args.first!) ended by signal \(result.status)")
            #expect(lines.count == 1 && result.stderr.hasPrefix("signet: ") && result.stderr.contains(expected),
                    "\(args.joined(separator: " ").prefix(80)): \(result.stderr.prefix(400))")
        }
        #expect(try tokens() == tokensBefore)

        // config.yaml with values that would fail later is refused at load, with the file and the key.
        let config = home + "/config.yaml"
        let original = try String(contentsOfFile: config, encoding: .utf8)
        for (from, to, key) in [("sessions: 4", "sessions: 0", "hsm.sessions"), ("listen: 127.0.0.1:8080", "listen: nowhere", "listen"),
                                ("next_update: 24h", "next_update: 9223372036854775807s1s", "crl.next_update")] {
            try original.replacingOccurrences(of: from, with: to).write(toFile: config, atomically: true, encoding: .utf8)
            let result = try ProcessRunner.signet(["list", "--home", home])
            #expect(!result.succeeded && result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("config.yaml:") && result.stderr.contains(key),
                    "\(to): \(result.stderr)")
        }
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try ProcessRunner.signet(["list", "--home", home]).succeeded)
    }
}
