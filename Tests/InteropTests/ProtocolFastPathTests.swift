import Foundation
import SignetTestSupport
import Testing

/// The event-loop fast path for repeated OCSP questions and time-stamps (`ProtocolFastPath`), against
/// a running `signet serve`: the same answers and headers as the router, revocations seen, tokens
/// openssl verifies with distinct serials, oversized queries rejected in the protocol, responses in
/// request order on a pipelined connection, and `Connection: close` honoured.
@Suite(.serialized) struct ProtocolFastPathTests {
    /// The revocation tests' running server and CA files, plus one issued leaf and an OCSP request
    /// for it (nonce-less, so its bytes repeat).
    struct Setup {
        let base: RevocationInteropTests.Setup
        let leaf: String
        let serial: String
        let request: [UInt8]

        var work: String { base.work }
        var server: ServerProcess { base.server }
        var root: String { base.root }
        var issuing: String { base.issuing }
        func signet(_ args: [String]) throws -> ProcessResult { try base.signet(args) }

        /// How many answers the fast path has written for `protocol` (ocsp, tsa), from `/metrics`.
        func fastPathCount(_ protocol: String = "ocsp") async throws -> Int {
            let metrics = try await HTTPClient.request(server.baseURL + "/metrics").text
            return Int(PrometheusText.value(of: "signet_fast_path_responses_total{protocol=\"\(`protocol`)\"}", in: metrics) ?? 0)
        }

        /// The router's request count (Hummingbird's `hb.requests`) for `route`, `method` and status 200, from `/metrics`.
        func requestCount(_ route: String, _ method: String) async throws -> Int {
            let metrics = try await HTTPClient.request(server.baseURL + "/metrics").text
            let series = "hb_requests{http_route=\"\(route)\",http_request_method=\"\(method)\",http_response_status_code=\"200\"}"
            return Int(PrometheusText.value(of: series, in: metrics) ?? 0)
        }

        /// openssl's reading of an OCSP response for the leaf, signature checked.
        func judge(_ response: [UInt8]) throws -> ProcessResult {
            let path = TestEnvironment.temporaryDirectory("resp", in: work) + "/resp.der"
            try Data(response).write(to: URL(fileURLWithPath: path))
            return try ProcessRunner.run("openssl", ["ocsp", "-respin", path, "-issuer", issuing, "-cert", leaf, "-CAfile", root])
        }
    }

    static func setup() throws -> Setup {
        let base = try RevocationInteropTests.setup()
        let (leaf, serial) = try base.issue()
        let requestPath = base.work + "/req.der"
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", base.issuing, "-cert", leaf, "-no_nonce", "-reqout", requestPath]), "reqout")
        return Setup(base: base, leaf: leaf, serial: serial, request: Array(try Data(contentsOf: URL(fileURLWithPath: requestPath))))
    }

    @Test("a repeated OCSP request is answered on the event loop with the router's bytes and headers, and sees a revocation")
    func repeatedRequest() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let headers = ["Content-Type": "application/ocsp-request"]
        let first = try await HTTPClient.request(s.server.baseURL + "/ocsp", method: "POST", headers: headers, body: s.request)
        let before = try await s.fastPathCount()
        let requestsBefore = try await s.requestCount("/ocsp", "POST")
        let second = try await HTTPClient.request(s.server.baseURL + "/ocsp", method: "POST", headers: headers, body: s.request)
        #expect(try await s.fastPathCount() == before + 1, "the second identical request should be answered by the fast path")
        // Counted in the same request metrics as the router's answers.
        #expect(try await s.requestCount("/ocsp", "POST") == requestsBefore + 1, "a fast-path answer must count in hb_requests like the router's")
        #expect(second.status == 200)
        #expect(second.body == first.body, "the cached answer should be the router's bytes")
        for name in ["content-type", "cache-control", "server"] {
            #expect(second.headers[name] == first.headers[name], "\(name): \(second.headers[name] ?? "-") vs \(first.headers[name] ?? "-")")
        }
        #expect(second.headers["x-request-id"] != nil && second.headers["x-request-id"] != first.headers["x-request-id"])
        #expect(second.headers["date"] != nil)
        let good = try s.judge(second.body)
        #expect(good.output.contains("\(s.leaf): good") && good.stderr.contains("Response verify OK"), "\(good.output) \(good.stderr)")

        // GET: the cacheable form, with the same caching headers as the router's answer.
        let encoded = Data(s.request).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let getsBefore = try await s.requestCount("/ocsp/**", "GET")
        let routed = try await HTTPClient.request(s.server.baseURL + "/ocsp/" + encoded)
        let fast = try await HTTPClient.request(s.server.baseURL + "/ocsp/" + encoded)
        #expect(try await s.fastPathCount() >= before + 2)
        #expect(try await s.requestCount("/ocsp/**", "GET") == getsBefore + 2, "the router's and the fast path's GET answers count under one route")
        #expect(fast.body == routed.body, "GET: the cached answer should be the router's bytes")
        for name in ["cache-control", "etag", "last-modified", "expires", "content-type"] {
            #expect(fast.headers[name] != nil && fast.headers[name] == routed.headers[name], "\(name): \(fast.headers[name] ?? "-") vs \(routed.headers[name] ?? "-")")
        }

        // A revocation by another process drops the cached answers: the same bytes now get "revoked".
        try OpenSSL.check(s.signet(["revoke", s.serial, "--reason", "keyCompromise"]), "revoke")
        try await Task.sleep(for: .milliseconds(600))
        for _ in 0..<2 {
            let after = try await HTTPClient.request(s.server.baseURL + "/ocsp", method: "POST", headers: headers, body: s.request)
            let judged = try s.judge(after.body)
            #expect(judged.output.contains("\(s.leaf): revoked") && judged.output.contains("keyCompromise"), "\(judged.output) \(judged.stderr)")
        }
    }

    @Test("time-stamps are answered on the event loop: openssl verifies each, serials differ, an oversized query is rejected in the protocol")
    func timestamps() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let tsa = s.work + "/tsa.pem", chain = s.work + "/tsa-chain.pem"
        try OpenSSL.check(s.signet(["ca", "export", "tsa", "--pem", "--out", tsa]), "export tsa")
        try (try String(contentsOfFile: tsa, encoding: .utf8) + String(contentsOfFile: s.issuing, encoding: .utf8)).write(toFile: chain, atomically: true, encoding: .utf8)
        let data = s.work + "/artifact.bin", queryPath = s.work + "/q.tsq"
        try Data("fast path".utf8).write(to: URL(fileURLWithPath: data))
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", data, "-sha256", "-cert", "-out", queryPath]), "ts -query")
        let query = Array(try Data(contentsOf: URL(fileURLWithPath: queryPath)))
        let headers = ["Content-Type": "application/timestamp-query"]

        // The first token waits for the store to reserve serials (router); later ones need no I/O.
        _ = try await HTTPClient.request(s.server.baseURL + "/tsa", method: "POST", headers: headers, body: query)
        let before = try await s.fastPathCount("tsa")
        let requestsBefore = try await s.requestCount("/tsa", "POST")
        let replies = try await withThrowingTaskGroup(of: HTTPClient.Response.self) { group in
            for _ in 0..<12 { group.addTask { try await HTTPClient.request(s.server.baseURL + "/tsa", method: "POST", headers: headers, body: query) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(try await s.fastPathCount("tsa") == before + 12, "every token after the first block was reserved should come from the fast path")
        #expect(try await s.requestCount("/tsa", "POST") == requestsBefore + 12, "fast-path tokens count in hb_requests")
        var serials: Set<String> = []
        for (index, reply) in replies.enumerated() {
            #expect(reply.status == 200 && reply.headers["content-type"] == "application/timestamp-reply" && reply.headers["x-request-id"] != nil)
            let path = s.work + "/reply\(index).tsr"
            try Data(reply.body).write(to: URL(fileURLWithPath: path))
            let verify = try ProcessRunner.run("openssl", ["ts", "-verify", "-data", data, "-in", path, "-CAfile", s.root, "-untrusted", chain])
            #expect(verify.output.contains("Verification: OK"), "\(verify.output) \(verify.stderr)")
            let text = try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-reply", "-in", path, "-text"]), "ts -reply -text").output
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Serial number:") }) { serials.insert(String(line)) }
        }
        #expect(serials.count == replies.count, "serials must never repeat: \(serials)")

        // Over the size limit: answered in the protocol (badDataFormat) without reading the rest into memory.
        let oversized = try await HTTPClient.request(s.server.baseURL + "/tsa", method: "POST", headers: headers, body: [UInt8](repeating: 0x30, count: 20_000))
        let rejected = s.work + "/oversized.tsr"
        try Data(oversized.body).write(to: URL(fileURLWithPath: rejected))
        let text = try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-reply", "-in", rejected, "-text"]), "ts -reply").output
        #expect(oversized.status == 200 && text.contains("Status: Rejected.") && text.contains("the data submitted has the wrong format"), "\(text)")
    }

    @Test("pipelined requests are answered in order even when the router holds an earlier one; Connection: close closes")
    func pipelinedOrder() async throws {
        let s = try Self.setup()
        defer { s.server.stop() }
        let ocsp = RawHTTPConnection.request("POST", "/ocsp", headers: ["Content-Type": "application/ocsp-request"], body: s.request)
        // Prime the cache so the OCSP request below could be answered at once.
        let warm = try RawHTTPConnection(port: s.server.port)
        try warm.send(ocsp)
        #expect(try warm.readResponse()?.status == 200)
        try warm.send(ocsp)
        #expect(try warm.readResponse()?.status == 200)

        // The router's /healthz reads the store; the OCSP answer after it must not overtake it.
        for _ in 0..<5 {
            let connection = try RawHTTPConnection(port: s.server.port)
            try connection.send(RawHTTPConnection.request("GET", "/healthz") + ocsp + RawHTTPConnection.request("GET", "/ca/root.crt") + ocsp)
            let answers = try (0..<4).map { _ in try connection.readResponse() }
            #expect(answers.map { $0?.status } == [200, 200, 200, 200])
            #expect(answers.map { $0?.headers["content-type"] } == [
                "application/json", "application/ocsp-response", "application/pkix-cert", "application/ocsp-response",
            ], "\(answers.map { $0?.headers["content-type"] ?? "-" })")
            #expect(answers[1]?.body == answers[3]?.body, "both OCSP answers should be the same cached bytes")
        }

        let closing = try RawHTTPConnection(port: s.server.port)
        try closing.send(RawHTTPConnection.request("POST", "/ocsp", headers: ["Content-Type": "application/ocsp-request", "Connection": "close"], body: s.request))
        let answer = try closing.readResponse()
        #expect(answer?.status == 200 && answer?.headers["connection"] == "close")
        #expect(closing.isClosedByServer())
    }
}
