import Foundation
import SignetCore

/// The OIDC ID token a CI job can prove itself with, found where CI systems put it, so a pipeline
/// needs no stored Signet secret: `--id-token-file FILE`, else `SIGNET_ID_TOKEN` (a GitLab
/// `id_tokens:` variable, or any CI that hands out a token), else GitHub Actions' token service
/// (`ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`, present when the workflow has `id-token: write`),
/// asked for Signet's audience (`SIGNET_OIDC_AUDIENCE`, default `signet`). Every client command that
/// talks to Signet gets its credential through ``signetToken(url:environment:idTokenFile:)``.
public struct CIJobToken: Sendable {
    public enum Origin: Sendable, Hashable, CustomStringConvertible {
        case file(String)
        case environment
        case githubActions(requestURL: String)

        public var description: String {
            switch self {
            case .file(let path): return "--id-token-file \(path)"
            case .environment: return "SIGNET_ID_TOKEN"
            case .githubActions: return "GitHub Actions' ID token service (ACTIONS_ID_TOKEN_REQUEST_URL)"
            }
        }
    }

    public let origin: Origin
    let environment: [String: String]

    /// The audience asked of GitHub when `SIGNET_OIDC_AUDIENCE` is not set; config.yaml's `audience`
    /// for the issuer must be the same.
    public static let defaultAudience = "signet"

    /// The job's token source, or nil when this is not a CI job offering one.
    public static func discover(idTokenFile: String?, environment: [String: String]) -> CIJobToken? {
        if let idTokenFile { return CIJobToken(origin: .file(idTokenFile), environment: environment) }
        if let value = environment["SIGNET_ID_TOKEN"], !value.isEmpty { return CIJobToken(origin: .environment, environment: environment) }
        if let url = environment["ACTIONS_ID_TOKEN_REQUEST_URL"], !url.isEmpty, environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]?.isEmpty == false {
            return CIJobToken(origin: .githubActions(requestURL: url), environment: environment)
        }
        return nil
    }

    public var audience: String { environment["SIGNET_OIDC_AUDIENCE"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAudience }

    /// The ID token itself.
    public func idToken() async throws -> String {
        switch origin {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SignetError.notFound("Cannot read the ID token file \(path)")
            }
            return try Self.checked(String(decoding: data, as: UTF8.self), from: origin)
        case .environment:
            return try Self.checked(environment["SIGNET_ID_TOKEN"] ?? "", from: origin)
        case .githubActions(let requestURL):
            return try await requestFromGitHub(requestURL)
        }
    }

    static func checked(_ text: String, from origin: Origin) throws -> String {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard IDTokenVerifier.looksLikeJWT(token) else {
            throw SignetError.malformed("\(origin) does not hold an OIDC ID token (a JWT: three base64url parts starting with eyJ)")
        }
        return token
    }

    /// GitHub's documented request: GET the request URL with `audience` added, the request token as
    /// bearer; the answer is `{"value": "<ID token>"}`.
    func requestFromGitHub(_ requestURL: String) async throws -> String {
        var components = URLComponents(string: requestURL)
        var items = components?.queryItems ?? []
        items.append(URLQueryItem(name: "audience", value: audience))
        components?.queryItems = items
        guard let url = components?.url, ["https", "http"].contains(url.scheme ?? "") else {
            throw SignetError.malformed("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")
        }
        // The runner's token service has a public certificate: the system's trust store checks it.
        let response = try await HTTPTransport(trust: .system, timeout: .seconds(30)).send(
            .GET, url.absoluteString, headers: [("Authorization", "bearer \(environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] ?? "")"), ("Accept", "application/json")])
        guard response.status == 200 else {
            throw SignetError(.unauthenticated, "GitHub's ID token service answered HTTP \(response.status); does the workflow have `permissions: id-token: write`?")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], let value = object["value"] as? String else {
            throw SignetError.malformed("GitHub's ID token service did not answer {\"value\": …}")
        }
        return try Self.checked(value, from: origin)
    }

    /// The Signet token a client command authenticates with: `SIGNET_TOKEN` when set; else the job's
    /// ID token, exchanged at `POST /api/v1/auth/oidc` for a short-lived Signet token (one
    /// verification for all the calls a command makes). Nil when there is neither.
    public static func signetToken(url: String, trust: TLSTrust = .system, environment: [String: String], idTokenFile: String? = nil) async throws -> String? {
        if idTokenFile == nil, let token = environment["SIGNET_TOKEN"], !token.isEmpty { return token }
        guard let source = discover(idTokenFile: idTokenFile, environment: environment) else { return nil }
        return try await source.exchange(at: url, trust: trust)
    }

    /// Exchanges the ID token for a Signet token at `base`.
    public func exchange(at base: String, trust: TLSTrust = .system) async throws -> String {
        let answer = try await APIClient(base: base, token: try await idToken(), trust: trust).post("/api/v1/auth/oidc", [:])
        guard let token = answer["token"] as? String, token.hasPrefix("sgt_") else {
            throw SignetError.internalError("Expected a Signet token from \(base)/api/v1/auth/oidc; is it a Signet server?")
        }
        return token
    }
}
