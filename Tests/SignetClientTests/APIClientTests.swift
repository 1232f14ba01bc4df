import Foundation
import Hummingbird
import HummingbirdTesting
@testable import SignetClient
import SignetCore
import Testing

/// The client's HTTP behaviour against a live stub server: Retry-After honoured within bounds, the
/// server's error code mapped back (never one kind of failure), nothing listening is `unreachable`.
@Suite struct APIClientTests {
    /// Answers from a script: each request takes the next answer; the count of requests is kept.
    final class Script: @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [(status: HTTPResponse.Status, headers: HTTPFields, body: String)]
        private(set) var requests = 0
        init(_ answers: [(HTTPResponse.Status, HTTPFields, String)]) { self.answers = answers.map { ($0.0, $0.1, $0.2) } }
        func next() -> Response {
            lock.lock()
            defer { lock.unlock() }
            requests += 1
            let answer = answers.count > 1 ? answers.removeFirst() : answers[0]
            var headers = answer.headers
            headers[.contentType] = "application/json"
            return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
    }

    static func withServer(_ script: Script, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/api/v1/certificates") { _, _ in script.next() }
        router.get("/api/v1/profiles") { _, _ in script.next() }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))")
        }
    }

    static func error(_ code: String, _ message: String) -> String { #"{"error":{"code":"\#(code)","message":"\#(message)"}}"# }

    @Test("503 with Retry-After is asked again after the wait, and the third answer is used")
    func retriesUnavailable() async throws {
        let busy = Self.error("hsm_unavailable", "The HSM is unavailable")
        let script = Script([(.serviceUnavailable, [.retryAfter: "1"], busy), (.serviceUnavailable, [.retryAfter: "1"], busy), (.created, [:], #"{"serial":"0a"}"#)])
        try await Self.withServer(script) { url in
            let started = Date()
            let answer = try await APIClient(base: url, token: "sgt_x").post("/api/v1/certificates", ["profile": "p"])
            #expect(answer["serial"] as? String == "0a")
            #expect(Date().timeIntervalSince(started) >= 2)
        }
        #expect(script.requests == 3)
    }

    @Test("retries are bounded: attempts run out, or a Retry-After beyond the longest wait is not waited for")
    func retriesAreBounded() async throws {
        let always = Script([(.tooManyRequests, [.retryAfter: "0"], Self.error("rate_limited", "Too many failed authentications"))])
        try await Self.withServer(always) { url in
            await #expect { try await APIClient(base: url, token: "sgt_x").get("/api/v1/profiles") } throws: { error in
                let error = error as? SignetError
                return error?.code == .rateLimited && ExitStatus.status(for: error!) == ExitStatus.unavailable && error?.reason.contains("after 4 attempts") == true && error?.reason.contains("rate_limited") == true
            }
        }
        #expect(always.requests == 4)
        let later = Script([(.serviceUnavailable, [.retryAfter: "3600"], Self.error("store_unavailable", "The store is unavailable"))])
        try await Self.withServer(later) { url in
            await #expect { try await APIClient(base: url, token: "sgt_x").get("/api/v1/profiles") } throws: { ($0 as? SignetError)?.code == .storage }
        }
        #expect(later.requests == 1)
    }

    @Test("the server's error code decides the client's, else the status does; the server's message is kept", arguments: [
        (HTTPResponse.Status.unprocessableContent, "policy_refused", SignetError.Code.policyRefused),
        (.badRequest, "bad_signature", .badSignature),
        (.badRequest, "malformed_input", .malformedInput),
        (.forbidden, "forbidden", .forbidden),
        (.unauthorized, "unauthenticated", .unauthenticated),
        (.conflict, "conflict", .conflict),
        (.notFound, "something_new", .notFound),
        (.internalServerError, "internal_error", .internalError),
        (.serviceUnavailable, "hsm_busy", .hsmBusy),
        (.requestTimeout, "request_timeout", .unreachable),
    ])
    func errorMapping(status: HTTPResponse.Status, serverCode: String, expected: SignetError.Code) async throws {
        try await Self.withServer(Script([(status, [:], Self.error(serverCode, "the server's own words"))])) { url in
            // One attempt: retrying is retriesUnavailable's business.
            await #expect { try await APIClient(base: url, token: "sgt_x", retry: RetryPolicy(attempts: 1)).post("/api/v1/certificates", [:]) } throws: { error in
                let error = error as? SignetError
                return error?.code == expected && error?.reason.contains("the server's own words") == true && error?.reason.contains(serverCode) == true
            }
        }
    }

    @Test("nothing listening is unreachable at once; a non-Signet answer is a failure that says so")
    func unreachableAndForeign() async throws {
        let port = try await Self.closedPort()
        let started = Date()
        await #expect { try await APIClient(base: "http://127.0.0.1:\(port)", token: "sgt_x").get("/api/v1/profiles") } throws: {
            ($0 as? SignetError)?.code == .unreachable
        }
        // AsyncHTTPClient would keep trying to connect until the 10 s connect timeout; refused at once means well under it,
        // with room for a loaded machine.
        #expect(Date().timeIntervalSince(started) < 9)
        try await Self.withServer(Script([(.ok, [:], "<html>not signet</html>")])) { url in
            await #expect { try await APIClient(base: url, token: "sgt_x").get("/api/v1/profiles") } throws: {
                ($0 as? SignetError)?.code == .internalError && ($0 as? SignetError)?.reason.contains("Signet server") == true
            }
        }
    }

    /// A loopback port nothing listens on: bound by a stub server that has stopped.
    static func closedPort() async throws -> Int {
        let app = Application(router: Router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try #require(client.port) }
    }
}
