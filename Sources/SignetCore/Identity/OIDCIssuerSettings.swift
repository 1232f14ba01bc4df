import Foundation

/// One trusted OIDC issuer, checked: an `https` issuer URL (plain `http` only on loopback, for tests
/// and local issuers), Signet's audience, where the keys come from, the signature algorithms its
/// tokens may use, and a clock skew of at most 60 s. Built from config.yaml's `identity.oidc` entries.
public struct OIDCIssuerSettings: Sendable, Hashable {
    /// The JWS algorithms Signet accepts from CI issuers. HMAC (`HS256`) and `none` are not among
    /// them: a public-key issuer's token must verify with the issuer's public key, never with a secret.
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    /// Where the issuer's JSON Web Key Set is read from.
    public enum KeySource: Sendable, Hashable {
        /// The `jwks_uri` of `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
        case discovery(String)
        case url(String)
        /// A file on the CA host (its path as written; relative paths are resolved against the home).
        case file(String)
    }

    /// How an issuer's claims name the repository, ref and workflow (``WorkloadIdentity``).
    public enum Provider: String, Sendable, Hashable, Codable, CaseIterable {
        case github
        case gitlab
        case generic
    }

    public let issuer: String
    public let audience: String
    public let keySource: KeySource
    public let algorithms: Set<Algorithm>
    public let clockSkew: TimeInterval
    /// Nil: decided per token from its claims.
    public let provider: Provider?
    /// The forge's web address for URIs put into certificates; nil: the provider's default.
    public let serverURL: String?
    public let refreshInterval: TimeInterval

    /// At most this much skew is accepted: beyond a minute, a clock is broken, not skewed.
    public static let maximumClockSkew: TimeInterval = 60
    public static let defaultClockSkew = "30s"
    public static let defaultRefresh = "15m"

    public init(issuer: String, audience: String, keySource: KeySource? = nil, algorithms: Set<Algorithm> = Set(Algorithm.allCases),
                clockSkew: TimeInterval = 30, provider: Provider? = nil, serverURL: String? = nil, refreshInterval: TimeInterval = 900) {
        self.issuer = issuer
        self.audience = audience
        self.keySource = keySource ?? .discovery(Self.discoveryURL(issuer))
        self.algorithms = algorithms
        self.clockSkew = clockSkew
        self.provider = provider
        self.serverURL = serverURL
        self.refreshInterval = refreshInterval
    }

    /// Checks one config.yaml entry; `key` (`identity.oidc[0]`) prefixes every message.
    public init(_ raw: SignetConfig.OIDCIssuer, key: String) throws {
        func fail(_ field: String, _ reason: String) -> SignetError { .configuration("\(key).\(field): \(reason)") }
        guard Self.isAcceptableURL(raw.issuer) else {
            throw fail("issuer", "expected an https:// URL (http:// only on 127.0.0.1, ::1 or localhost), got \(SignetError.quote(raw.issuer))")
        }
        let issuer = raw.issuer
        guard !raw.audience.isEmpty, raw.audience.utf8.count <= 512, !raw.audience.contains(where: \.isNewline) else {
            throw fail("audience", "expected the audience (aud) Signet's tokens carry, 1-512 characters on one line")
        }
        let source: KeySource
        switch (raw.jwksURL, raw.jwksFile) {
        case (nil, nil): source = .discovery(Self.discoveryURL(issuer))
        case (let url?, nil):
            guard Self.isAcceptableURL(url) else { throw fail("jwks_url", "expected an https:// URL, got \(SignetError.quote(url))") }
            source = .url(url)
        case (nil, let file?):
            guard !file.isEmpty else { throw fail("jwks_file", "expected a file path") }
            source = .file(file)
        case (.some, .some): throw fail("jwks_url", "give jwks_url or jwks_file, not both (neither: the issuer's discovery document)")
        }
        var algorithms = Set<Algorithm>()
        for name in raw.algorithms ?? Algorithm.allCases.map(\.rawValue) {
            guard let algorithm = Algorithm(rawValue: name) else {
                throw fail("algorithms", "\(SignetError.quote(name)) is not accepted; use \(Algorithm.allCases.map(\.rawValue).joined(separator: " or ")) (HMAC and none never are)")
            }
            algorithms.insert(algorithm)
        }
        guard !algorithms.isEmpty else { throw fail("algorithms", "list at least one of RS256, ES256") }
        let skew: ValidityDuration
        do { skew = try ValidityDuration(parsing: raw.clockSkew ?? Self.defaultClockSkew) } catch let error as SignetError {
            throw fail("clock_skew", error.reason)
        }
        guard TimeInterval(skew.seconds) <= Self.maximumClockSkew else {
            throw fail("clock_skew", "at most 60s is accepted, got \(skew)")
        }
        var provider: Provider? = nil
        if let text = raw.provider {
            guard let known = Provider(rawValue: text) else {
                throw fail("provider", "expected github, gitlab or generic, got \(SignetError.quote(text))")
            }
            provider = known
        }
        if let server = raw.serverURL, !(Self.isAcceptableURL(server) || server.hasPrefix("http://")) {
            throw fail("server_url", "expected the forge's web address (https://…), got \(SignetError.quote(server))")
        }
        let refresh: ValidityDuration
        do { refresh = try ValidityDuration(parsing: raw.refresh ?? Self.defaultRefresh) } catch let error as SignetError {
            throw fail("refresh", error.reason)
        }
        guard (60...86_400).contains(refresh.seconds) else { throw fail("refresh", "expected 1m to 24h, got \(refresh)") }
        self.init(issuer: issuer, audience: raw.audience, keySource: source, algorithms: algorithms, clockSkew: TimeInterval(skew.seconds),
                  provider: provider, serverURL: raw.serverURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
                  refreshInterval: TimeInterval(refresh.seconds))
    }

    /// OpenID Connect Discovery 1.0 §4: the issuer with `/.well-known/openid-configuration` appended.
    public static func discoveryURL(_ issuer: String) -> String {
        (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
    }

    /// `https://host…`, or `http://` on a loopback host: key material is never fetched in the clear
    /// from another machine.
    public static func isAcceptableURL(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, let url = URL(string: text), let host = url.host, !host.isEmpty,
              text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }) else { return false }
        switch url.scheme {
        case "https": return true
        case "http": return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        default: return false
        }
    }
}
