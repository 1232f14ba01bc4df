import Foundation
import SignetTestSupport
import Testing

/// `signet serve` protecting itself, against a real server process over real sockets: slow and idle
/// connections are closed, connections past the cap are refused while the others are served, the
/// per-client rate limit on signatures answers 429 in the protocol (cached OCSP answers never), a
/// saturated HSM is refused with 503 without stalling the event loops, TLS refuses old versions and
/// weak suites, and the request log samples protocol traffic. After each
/// attack the server still answers /healthz.
@Suite(.serialized) struct ServerProtectionTests {
    /// One initialised home for the suite (a server at a time runs on it), with a leaf certificate
    /// and the OCSP requests for it.
    struct Fixture: Sendable {
        let home: String
        let work: String
        let root: String
        let issuing: String
        let leaf: String
        /// A nonce-less OCSP request for the leaf: the same bytes every time, so answered from the cache.
        let plainRequest: [UInt8]
        let timestampQuery: [UInt8]

        func signet(_ args: [String]) throws -> ProcessResult {
            try ProcessRunner.signet(args + ["--home", home], environment: ["SIGNET_HSM_PIN": nil])
        }

        /// A new OCSP request with a fresh nonce (so it must be signed).
        func nonceRequest() throws -> [UInt8] {
            let path = TestEnvironment.temporaryDirectory("ocsp", in: work) + "/req.der"
            try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", issuing, "-cert", leaf, "-nonce", "-reqout", path]), "reqout")
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        }

        func serve(_ arguments: [String] = [], environment: [String: String?] = [:], logLevel: String? = "warning") throws -> ServerProcess {
            try ServerProcess(home: home, extraArguments: arguments, environment: environment, logLevel: logLevel)
        }
    }

    private static let fixtureLock = NSLock()
    nonisolated(unsafe) private static var cached: Fixture?

    static func fixture() throws -> Fixture {
        fixtureLock.lock()
        defer { fixtureLock.unlock() }
        if let cached { return cached }
        let (home, work) = try ServerProcessTests.makeHome()
        let root = work + "/root.pem", issuing = work + "/issuing.pem", leaf = work + "/leaf.pem"
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "export root")
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "issuing", "--pem", "--out", issuing, "--home", home]), "export issuing")
        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let issued = try OpenSSL.check(ProcessRunner.signet(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "payments", "--json", "--home", home]), "issue")
        let json = try JSONSerialization.jsonObject(with: Data(issued.stdout)) as! [String: Any]
        try (json["certificate"] as! String).write(toFile: leaf, atomically: true, encoding: .utf8)
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", issuing, "-cert", leaf, "-no_nonce", "-reqout", work + "/plain.der"]), "reqout")
        try Data("protected".utf8).write(to: URL(fileURLWithPath: work + "/artifact"))
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", work + "/artifact", "-sha256", "-cert", "-out", work + "/q.tsq"]), "ts -query")
        let fixture = Fixture(home: home, work: work, root: root, issuing: issuing, leaf: leaf,
                              plainRequest: Array(try Data(contentsOf: URL(fileURLWithPath: work + "/plain.der"))),
                              timestampQuery: Array(try Data(contentsOf: URL(fileURLWithPath: work + "/q.tsq"))))
        cached = fixture
        return fixture
    }

    static func post(_ server: ServerProcess, _ path: String, _ body: [UInt8], contentType: String) async throws -> HTTPClient.Response {
        try await HTTPClient.request(server.baseURL + path, method: "POST", headers: ["Content-Type": contentType], body: body)
    }

    static func expectHealthy(_ server: ServerProcess, _ comment: String) async throws {
        let health = try await HTTPClient.request(server.baseURL + "/healthz")
        #expect(health.status == 200, "the server should still answer /healthz after \(comment)")
    }

    /// What openssl reads in a time-stamp reply.
    static func timestampText(_ body: [UInt8], in work: String) throws -> String {
        let path = TestEnvironment.temporaryDirectory("tsr", in: work) + "/reply.tsr"
        try Data(body).write(to: URL(fileURLWithPath: path))
        return try ProcessRunner.run("openssl", ["ts", "-reply", "-in", path, "-text"]).output
    }

    // MARK: Timeouts

    @Test("timeouts: a silent connection, trickled headers and a trickled body are cut off; an idle keep-alive connection is closed after the idle timeout")
    func timeouts() async throws {
        let f = try Self.fixture()
        let server = try f.serve(["--header-timeout", "1s", "--body-timeout", "2s", "--idle-timeout", "4s"])
        defer { server.stop() }

        // A connection that sends nothing is closed after the header timeout.
        let silent = try RawHTTPConnection(port: server.port)
        let quiet = silent.readUntilClosed(timeout: 10)
        #expect(quiet.closed && quiet.seconds < 6, "silent connection: closed \(quiet.closed) after \(quiet.seconds) s")

        // Slowloris: header lines trickled forever. Closed within the header timeout though bytes keep coming.
        let slow = try RawHTTPConnection(port: server.port)
        #expect(slow.trySend(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)))
        let started = Date()
        var cutOffAfter: TimeInterval?
        // The sleeps in this test block its thread rather than suspend: cut-offs are measured in wall time,
        // and a suspended task resumes only when the cooperative pool (2 threads on 2 cores) has a thread
        // free, which under the full suite, with other tests waiting on child processes, took seconds.
        for index in 0..<60 {
            usleep(150_000)
            if slow.hasAnswered() || !slow.trySend(Array("X-Slow-\(index): y\r\n".utf8)) {
                cutOffAfter = Date().timeIntervalSince(started)
                break
            }
        }
        #expect(cutOffAfter != nil && cutOffAfter! < 6, "trickled headers should be cut off after about 1 s, were still open after \(Date().timeIntervalSince(started)) s")
        let slowEnd = slow.readUntilClosed(timeout: 2)
        #expect(slowEnd.closed)
        let slowAnswer = String(decoding: slowEnd.received, as: UTF8.self)
        #expect(slowAnswer.isEmpty || (slowAnswer.contains("408 Request Timeout") && slowAnswer.contains("request_timeout")), "\(slowAnswer)")

        // A body trickled a byte at a time (a time-stamp query of 200 octets) is cut off after the body timeout, with 408.
        let slowBody = try RawHTTPConnection(port: server.port)
        #expect(slowBody.trySend(Array("POST /tsa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/timestamp-query\r\nContent-Length: 200\r\n\r\n".utf8)))
        let bodyStarted = Date()
        var bodyCutOff: TimeInterval?
        for _ in 0..<150 {
            usleep(100_000)
            if slowBody.hasAnswered() || !slowBody.trySend([0x30]) {
                bodyCutOff = Date().timeIntervalSince(bodyStarted)
                break
            }
        }
        #expect(bodyCutOff != nil && bodyCutOff! < 7, "a trickled body should be cut off after about 2 s")
        // The 408 comes before the close; a reset (bytes crossing the close) may discard it on the way, so it is checked when it arrived.
        let bodyEnd = slowBody.readUntilClosed(timeout: 2)
        let bodyAnswer = String(decoding: bodyEnd.received, as: UTF8.self)
        #expect(bodyEnd.closed)
        #expect(bodyAnswer.isEmpty || (bodyAnswer.contains("408 Request Timeout") && bodyAnswer.contains("request_timeout")), "\(bodyAnswer)")

        // Keep-alive: after a response the connection may idle longer than the header timeout, and is closed after the idle timeout.
        let keepAlive = try RawHTTPConnection(port: server.port)
        try keepAlive.send(RawHTTPConnection.request("GET", "/healthz"))
        #expect(try keepAlive.readResponse()?.status == 200)
        let idleStarted = Date()
        usleep(2_000_000)
        if Date().timeIntervalSince(idleStarted) < 3.5 {
            #expect(keepAlive.isOpen(), "an idle keep-alive connection must outlive the header timeout")
        }
        let idle = keepAlive.readUntilClosed(timeout: 10)
        let idleFor = Date().timeIntervalSince(idleStarted)
        #expect(idle.closed && idleFor >= 3.5 && idleFor < 9, "idle connection closed \(idle.closed) after \(idleFor) s (idle timeout 4 s)")

        let metrics = try await HTTPClient.request(server.baseURL + "/metrics").text
        for timeout in ["header", "body", "idle"] {
            #expect((PrometheusText.value(of: "signet_connection_timeouts_total{timeout=\"\(timeout)\"}", in: metrics) ?? 0) >= 1, "\(timeout) timeouts should be counted")
        }
        try await Self.expectHealthy(server, "the slow clients")
    }

    // MARK: Connection limit

    @Test("beyond --max-connections a new connection gets 503 and is closed at once; the open ones keep being served")
    func connectionLimit() async throws {
        let f = try Self.fixture()
        let server = try f.serve(["--max-connections", "3", "--header-timeout", "30s", "--idle-timeout", "60s"])
        defer { server.stop() }
        var held: [RawHTTPConnection] = []
        for _ in 0..<3 {
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send(RawHTTPConnection.request("GET", "/healthz"))
            #expect(try connection.readResponse()?.status == 200)
            held.append(connection)
        }
        let extra = try RawHTTPConnection(port: server.port)
        let refused = extra.readUntilClosed(timeout: 5)
        let text = String(decoding: refused.received, as: UTF8.self)
        #expect(refused.closed && refused.seconds < 3, "the connection over the cap should be closed at once, took \(refused.seconds) s")
        #expect(text.contains("503") && text.contains("too_many_connections") && text.lowercased().contains("retry-after: 1"), "\(text)")

        // The three open connections are served as before.
        for connection in held {
            try connection.send(RawHTTPConnection.request("POST", "/ocsp", headers: ["Content-Type": "application/ocsp-request"], body: f.plainRequest))
            #expect(try connection.readResponse()?.status == 200)
        }
        try held[0].send(RawHTTPConnection.request("GET", "/metrics"))
        let metrics = String(decoding: try #require(try held[0].readResponse()).body, as: UTF8.self)
        #expect((PrometheusText.value(of: "signet_connections_refused_total", in: metrics) ?? 0) >= 1)
        // Closing one makes room for a new one.
        held.removeLast()
        var served = false
        for _ in 0..<40 where !served {
            try await Task.sleep(for: .milliseconds(100))
            let fresh = try RawHTTPConnection(port: server.port)
            if fresh.trySend(RawHTTPConnection.request("GET", "/healthz")), let response = try? fresh.readResponse(), response.status == 200 { served = true }
        }
        #expect(served, "a connection should be accepted once one of the three closed")
    }

    // MARK: Rate limit

    @Test("per-client rate limit: time-stamps and nonce OCSP past the allowance get 429 with Retry-After in their protocol; cached OCSP answers are never limited")
    func rateLimit() async throws {
        let f = try Self.fixture()
        // One request back every 1000 s: no delay of a loaded machine between these requests refills the
        // bucket (at one per 5 s, a CI run under load once let the nonce request through). The refill
        // itself is ClientRateLimiter's unit test, on an injected clock.
        let server = try f.serve(["--signing-rate", "0.001", "--signing-burst", "4"])
        defer { server.stop() }
        // The nonce-less answer is signed once (one request of the allowance), then cached.
        #expect(try await Self.post(server, "/ocsp", f.plainRequest, contentType: "application/ocsp-request").status == 200)

        var statuses: [Int] = []
        var limited: HTTPClient.Response?
        for _ in 0..<8 {
            let response = try await Self.post(server, "/tsa", f.timestampQuery, contentType: "application/timestamp-query")
            statuses.append(response.status)
            if response.status == 429 { limited = response; break }
        }
        let refusal = try #require(limited, "time-stamps past the burst should be refused: \(statuses)")
        #expect(statuses.filter { $0 == 200 }.count >= 3, "burst 4 less the OCSP signature: \(statuses)")
        #expect(Int(refusal.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(refusal.headers["content-type"] == "application/timestamp-reply")
        let text = try Self.timestampText(refusal.body, in: f.work)
        #expect(text.contains("Status: Rejected") && text.contains("try again"), "\(text)")

        // A nonce makes an OCSP request need a signature: limited too, answered tryLater.
        let nonce = try await Self.post(server, "/ocsp", try f.nonceRequest(), contentType: "application/ocsp-request")
        #expect(nonce.status == 429 && nonce.headers["retry-after"] != nil)
        let path = f.work + "/trylater.der"
        try Data(nonce.body).write(to: URL(fileURLWithPath: path))
        let judged = try ProcessRunner.run("openssl", ["ocsp", "-respin", path, "-resp_text", "-noverify"])
        #expect((judged.output + judged.stderr).lowercased().contains("trylater"), "\(judged.output) \(judged.stderr)")

        // The cached nonce-less answer is served whatever the allowance, over POST and GET.
        let encoded = Data(f.plainRequest).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        for index in 0..<40 {
            let response = index % 2 == 0
                ? try await Self.post(server, "/ocsp", f.plainRequest, contentType: "application/ocsp-request")
                : try await HTTPClient.request(server.baseURL + "/ocsp/" + encoded)
            #expect(response.status == 200)
        }

        let metrics = try await HTTPClient.request(server.baseURL + "/metrics").text
        #expect((PrometheusText.value(of: "signet_tsa_responses_total{status=\"rate_limited\"}", in: metrics) ?? 0) >= 1)
        #expect((PrometheusText.value(of: "signet_ocsp_refusals_total{reason=\"rate_limited\"}", in: metrics) ?? 0) >= 1)
        try await Self.expectHealthy(server, "rate limiting")
    }

    // MARK: HSM saturation

    @Test("a slow HSM: time-stamps past the signing queue get 503 hsm_busy at once, and the event loops keep answering other requests")
    func saturatedHSM() async throws {
        let f = try Self.fixture()
        // Every signature takes 600 ms inside its session; 4 sessions sign at once and 1 more may wait.
        let server = try f.serve(["--signing-queue", "1", "--signing-rate", "0"], environment: ["SIGNET_FAILPOINTS": "hsm.sign.slow=600ms"])
        defer { server.stop() }
        // The first token waits for serials from the store (the router); the cached OCSP answer is made.
        #expect(try await Self.post(server, "/tsa", f.timestampQuery, contentType: "application/timestamp-query").status == 200)
        #expect(try await Self.post(server, "/ocsp", f.plainRequest, contentType: "application/ocsp-request").status == 200)

        // Sixteen queries written at once on sixteen connections; their answers are read after the probes below.
        let port = server.port
        var burst: [RawHTTPConnection] = []
        for _ in 0..<16 {
            let connection = try RawHTTPConnection(port: port)
            try connection.send(RawHTTPConnection.request("POST", "/tsa", headers: ["Content-Type": "application/timestamp-query"], body: f.timestampQuery))
            burst.append(connection)
        }
        // While the tokens are signed, other requests on new connections (spread over the event loops) are answered at once.
        var slowest: TimeInterval = 0
        for index in 0..<6 {
            let started = Date()
            let connection = try RawHTTPConnection(port: port)
            if index % 2 == 0 {
                try connection.send(RawHTTPConnection.request("POST", "/ocsp", headers: ["Content-Type": "application/ocsp-request"], body: f.plainRequest))
            } else {
                try connection.send(RawHTTPConnection.request("GET", "/healthz"))
            }
            #expect(try connection.readResponse()?.status == 200)
            slowest = max(slowest, Date().timeIntervalSince(started))
            try await Task.sleep(for: .milliseconds(40))
        }
        // Signing on an event loop would hold these for several signatures (0.6 s each) in a row; a loaded
        // machine's scheduling delays are far below that.
        #expect(slowest < 1.0, "requests that need no signature waited \(slowest) s behind the HSM (one signature takes 0.6 s)")

        let responses = burst.map { try? $0.readResponse() }
        let granted = responses.filter { $0?.status == 200 }.count
        let busy = responses.compactMap { $0 }.filter { $0.status == 503 }
        #expect(granted + busy.count == 16, "every request answered: \(responses.map { $0?.status ?? 0 })")
        #expect(granted >= 1 && granted <= 12, "4 signing, 1 waiting, a few more as they finish: \(granted) granted")
        #expect(!busy.isEmpty)
        if let refusal = busy.first {
            #expect(refusal.headers["retry-after"] == "1" && refusal.headers["content-type"] == "application/timestamp-reply")
            let text = try Self.timestampText(refusal.body, in: f.work)
            #expect(text.contains("Status: Rejected") && text.contains("HSM sessions are busy"), "\(text)")
        }
        let metrics = try await HTTPClient.request(server.baseURL + "/metrics").text
        #expect((PrometheusText.value(of: "signet_tsa_responses_total{status=\"hsm_busy\"}", in: metrics) ?? 0) == Double(busy.count))
        try await Self.expectHealthy(server, "the HSM burst")
    }

    // MARK: TLS

    @Test("TLS: 1.2 and 1.3 with AEAD suites succeed; 1.1 and CBC or static-RSA suites are refused by the server")
    func tls() throws {
        let f = try Self.fixture()
        let key = f.work + "/tls.key", cert = f.work + "/tls.crt"
        // An RSA certificate, so RSA key exchange and CBC suites would be possible if the server allowed them.
        try OpenSSL.check(ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                         "-subj", "/CN=127.0.0.1", "-days", "1", "-addext", "subjectAltName=IP:127.0.0.1"]), "tls cert")
        let server = try f.serve(["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        let connect = ["s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "127.0.0.1"]
        func handshake(_ extra: [String]) throws -> ProcessResult {
            try ProcessRunner.run("/bin/sh", ["-c", "printf 'GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' | timeout 20 openssl " + (connect + ["-ign_eof"] + extra).joined(separator: " ") + " 2>&1"])
        }
        for version in ["-tls1_2", "-tls1_3"] {
            let result = try handshake([version])
            #expect(result.output.contains("HTTP/1.1 200"), "\(version): \(result.output.suffix(600))")
        }
        let strong = try handshake(["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        #expect(strong.output.contains("ECDHE-RSA-AES128-GCM-SHA256") && strong.output.contains(" 200"), "\(strong.output.suffix(600))")
        // SECLEVEL=0 lets this openssl offer TLS 1.1 and old suites, so a refusal is the server's (an alert), not the client's.
        let old = try handshake(["-tls1_1", "-cipher", "'DEFAULT:@SECLEVEL=0'"])
        #expect(!old.output.contains(" 200") && old.output.contains("alert protocol version"), "TLS 1.1: \(old.output.suffix(600))")
        for weak in ["AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"] {
            let result = try handshake(["-tls1_2", "-cipher", "'\(weak):@SECLEVEL=0'"])
            #expect(!result.output.contains(" 200") && result.output.contains("alert handshake failure"), "\(weak): \(result.output.suffix(600))")
        }
    }

    // MARK: Logging

    @Test("with the default log level, successful protocol answers are logged one in --log-sample, failures and API requests always, as JSON lines")
    func logSampling() async throws {
        let f = try Self.fixture()
        let server = try f.serve(["--log-sample", "10"], logLevel: nil)
        for _ in 0..<100 {
            #expect(try await Self.post(server, "/ocsp", f.plainRequest, contentType: "application/ocsp-request").status == 200)
        }
        let garbage = try await Self.post(server, "/ocsp", [0x30, 0x03, 0x02, 0x01, 0x07], contentType: "application/ocsp-request")
        #expect(garbage.status == 200)
        let denied = try await HTTPClient.request(server.baseURL + "/api/v1/certificates")
        #expect(denied.status == 401)
        #expect(server.stop() == 0)
        var ocspLines = 0, sampled = 0, refusals = 0, unauthorized = 0
        for line in server.stderrText.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "not a JSON line: \(line)")
            if object["msg"] == "request" && object["path"] == "/ocsp" {
                ocspLines += 1
                if object["sampled"] == "1/10" { sampled += 1 }
            }
            if object["msg"] == "ocsp refused" && object["ocsp_status"] == "malformedRequest" { refusals += 1 }
            if object["msg"] == "request" && object["status"] == "401" { unauthorized += 1 }
        }
        #expect((9...13).contains(ocspLines) && sampled >= 9, "101 OCSP answers, one in 10 logged: \(ocspLines) lines, \(sampled) marked sampled")
        #expect(refusals == 1, "every refusal is logged")
        #expect(unauthorized == 1, "every API request is logged")
    }
}
