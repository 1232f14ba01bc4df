import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SignetCore

/// A JSON client for Signet's API, for what runs where the CA's home is not: a developer's laptop or a
/// CI runner. It sends the bearer token, and turns the server's error shape
/// (`{"error": {"code", "message"}}`) back into the ``SignetError`` the server mapped it from, so a
/// caller can branch on what went wrong instead of one kind of failure.
public struct APIClient: Sendable {
    /// The server's base URL, without a trailing slash.
    public let base: String
    let token: String

    public init(base: String, token: String) throws {
        self.base = try AuthorityURLs(baseURL: base).baseURL
        self.token = token
    }

    /// POSTs `body` as JSON to `path` and returns the decoded JSON object of a 2xx answer.
    public func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        try await send("POST", path, body: try JSONSerialization.data(withJSONObject: body))
    }

    /// GETs `path` and returns the decoded JSON object of a 2xx answer.
    public func get(_ path: String) async throws -> [String: Any] {
        try await send("GET", path, body: nil)
    }

    func send(_ method: String, _ path: String, body: Data?) async throws -> [String: Any] {
        guard let url = URL(string: base + path) else { throw SignetError.malformed("Expected a URL path, got \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw SignetError(.unreachable, "Cannot reach Signet at \(base): \(error.localizedDescription)")
        }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let error = object["error"] as? [String: Any]
            let message = error?["message"] as? String ?? "HTTP \(status)"
            let code = error?["code"] as? String
            throw SignetError(Self.code(status: status), "Signet refused \(method) \(path): \(message)\(code.map { " (\($0))" } ?? "")")
        }
        return object
    }

    /// The core error code an HTTP status stands for.
    static func code(status: Int) -> SignetError.Code {
        switch status {
        case 400, 413: return .malformedInput
        case 401: return .unauthenticated
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 422: return .policyRefused
        case 429, 502, 503, 504: return .unreachable
        default: return .internalError
        }
    }
}
