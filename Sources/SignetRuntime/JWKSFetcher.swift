import AsyncHTTPClient
import Foundation
import NIOCore
import SignetCore

/// Reads issuers' key sets for ``JWKSCache``: over HTTP with AsyncHTTPClient (as the client commands
/// do; a key set is one small GET every few minutes, HTTPS checked against the system's roots), following the
/// issuer's discovery document (OpenID Connect Discovery 1.0 §4) unless config.yaml names a JWKS URL,
/// or from a file on the CA host. Every failure says what was being fetched; it reaches the log, and
/// callers see only `oidc_keys_unavailable` when no keys are cached.
public struct JWKSFetcher: JWKSFetching {
    /// Paths in `jwks_file` are relative to this directory (the home).
    let baseDirectory: String
    /// An issuer that does not answer within this is treated as down (its cached keys keep working).
    static let timeout: TimeInterval = 10
    static let maximumDocument = 256 * 1024

    public init(baseDirectory: String) {
        self.baseDirectory = baseDirectory
    }

    public func fetchKeySet(for issuer: OIDCIssuerSettings) async throws -> [UInt8] {
        switch issuer.keySource {
        case .file(let path):
            let resolved = path.hasPrefix("/") ? path : baseDirectory + "/" + path
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw SignetError.configuration("Cannot read the JWKS file \(resolved) of \(issuer.issuer)")
            }
            return Array(data)
        case .url(let url):
            return try await get(url, what: "the JWKS of \(issuer.issuer)")
        case .discovery(let url):
            let document = try await get(url, what: "the discovery document of \(issuer.issuer)")
            guard let fields = try? JSONSerialization.jsonObject(with: Data(document)) as? [String: Any] else {
                throw SignetError.malformed("\(url) is not a JSON object (an OpenID Provider configuration)")
            }
            // OpenID Connect Discovery 1.0 §4.3: the document's issuer MUST be the issuer it was fetched for.
            guard fields["issuer"] as? String == issuer.issuer else {
                throw SignetError.malformed("\(url) names issuer \(SignetError.quote(fields["issuer"] as? String ?? "(none)")), not \(issuer.issuer)")
            }
            guard let jwks = fields["jwks_uri"] as? String, OIDCIssuerSettings.isAcceptableURL(jwks) else {
                throw SignetError.malformed("\(url) has no usable jwks_uri (an https:// URL)")
            }
            return try await get(jwks, what: "the JWKS of \(issuer.issuer)")
        }
    }

    func get(_ text: String, what: String) async throws -> [UInt8] {
        guard URL(string: text) != nil else { throw SignetError.malformed("Cannot fetch \(what): \(text) is not a URL") }
        var request = HTTPClientRequest(url: text)
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(Self.timeout)))
            guard response.status == .ok else { throw SignetError(.unreachable, "Cannot fetch \(what) from \(text): HTTP \(response.status.code)") }
            let body = try await response.body.collect(upTo: Self.maximumDocument)
            return Array(buffer: body)
        } catch let error as SignetError {
            throw error
        } catch {
            throw SignetError(.unreachable, "Cannot fetch \(what) from \(text): \(error)")
        }
    }
}
