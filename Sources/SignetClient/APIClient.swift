import Foundation
import NIOHTTP1
import SignetCore

/// A JSON client for Signet's API, for what runs where the CA's home is not: a developer's laptop or a
/// CI runner. It sends the bearer token, trusts what it is told to trust for HTTPS, asks again after
/// 429 and 503 as ``RetryPolicy`` allows, and turns the server's error shape
/// (`{"error": {"code", "message"}}`) back into the ``SignetError`` the server mapped it from (by the
/// server's code where the client knows it, else by status), so a caller can branch on what went
/// wrong instead of one kind of failure.
public struct APIClient: Sendable {
    /// The server's base URL, without a trailing slash.
    public let base: String
    let token: String?
    let transport: HTTPTransport
    let retry: RetryPolicy

    public init(base: String, token: String?, trust: TLSTrust = .system, retry: RetryPolicy = RetryPolicy()) throws {
        self.base = try AuthorityURLs(baseURL: base).baseURL
        self.token = token
        self.transport = HTTPTransport(trust: trust)
        self.retry = retry
    }

    /// POSTs `body` as JSON to `path` and returns the decoded JSON object of a 2xx answer.
    public func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        try json(try await send(.POST, path, body: Array(try JSONSerialization.data(withJSONObject: body))), path: path)
    }

    /// GETs `path` and returns the decoded JSON object of a 2xx answer.
    public func get(_ path: String) async throws -> [String: Any] {
        try json(try await send(.GET, path, body: nil), path: path)
    }

    /// GETs `path` and returns the body of a 2xx answer as it came (certificates, chains).
    public func getBytes(_ path: String) async throws -> [UInt8] {
        try await send(.GET, path, body: nil).body
    }

    /// Revokes a certificate (`POST /api/v1/certificates/<serial>/revoke`) and returns its record as the
    /// server shows it. Developer and ci tokens may revoke what they requested, admins anything.
    public func revoke(serial: String, reason: RevocationReason) async throws -> [String: Any] {
        let normalized = try Hex.serial(serial)
        let answer = try await post("/api/v1/certificates/\(normalized)/revoke", ["reason": reason.name])
        guard answer["serial"] is String, answer["status"] is String else {
            throw SignetError.internalError("Expected the revoked certificate's record from \(base); is it a Signet server?")
        }
        return answer
    }

    func json(_ response: HTTPTransport.Response, path: String) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw SignetError.internalError("Expected a JSON object from \(base)\(path), got \(response.body.count) bytes of something else; is \(base) a Signet server?")
        }
        return object
    }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?) async throws -> HTTPTransport.Response {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        var attempt = 1
        while true {
            let response = try await transport.send(method, base + path, headers: headers, body: body)
            if (200..<300).contains(response.status) { return response }
            if let wait = retry.wait(afterAttempt: attempt, status: response.status, retryAfter: response.header("Retry-After")) {
                try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                attempt += 1
                continue
            }
            throw Self.error(response, method: method.rawValue, path: path, attempts: attempt)
        }
    }

    /// The error a refusal stands for, with the server's own code and message in the text.
    static func error(_ response: HTTPTransport.Response, method: String, path: String, attempts: Int) -> SignetError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let detail = object?["error"] as? [String: Any]
        let serverCode = detail?["code"] as? String
        let message = (detail?["message"] as? String) ?? "HTTP \(response.status)"
        let code = ExitStatus.knownCodes.first { $0.name == serverCode } ?? Self.code(status: response.status)
        let retried = attempts > 1 ? " after \(attempts) attempts" : ""
        let verb = response.status >= 500 || response.status == 429 ? "could not serve" : "refused"
        return SignetError(code, "Signet \(verb) \(method) \(path)\(retried): \(message) (\(serverCode ?? "HTTP \(response.status)"))")
    }

    /// The core error code an HTTP status stands for, when the body names none the client knows.
    static func code(status: Int) -> SignetError.Code {
        switch status {
        case 400, 413: return .malformedInput
        case 401: return .unauthenticated
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 422: return .policyRefused
        case 408, 429, 502, 503, 504: return .unreachable
        default: return .internalError
        }
    }
}
