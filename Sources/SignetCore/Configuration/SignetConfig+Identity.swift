import Foundation

extension SignetConfig {
    /// `identity:` in config.yaml: who, besides holders of Signet's own tokens, may call the API.
    public struct Identity: Codable, Sendable, Equatable {
        /// `identity.oidc`: the OIDC issuers whose ID tokens (CI workload identities) Signet accepts.
        public var oidc: [OIDCIssuer]

        public init(oidc: [OIDCIssuer]) { self.oidc = oidc }

        enum CodingKeys: String, CodingKey, CaseIterable { case oidc }

        public init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "identity")
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.oidc = try container.decodeIfPresent([OIDCIssuer].self, forKey: .oidc) ?? []
        }

        /// The issuers, validated; the error names the entry and key (`identity.oidc[1].clock_skew`).
        public func issuerSettings() throws -> [OIDCIssuerSettings] {
            var seen = Set<String>()
            return try oidc.enumerated().map { index, raw in
                let settings = try OIDCIssuerSettings(raw, key: "identity.oidc[\(index)]")
                guard seen.insert(settings.issuer).inserted else {
                    throw SignetError.configuration("identity.oidc[\(index)].issuer: \(settings.issuer) is listed twice")
                }
                return settings
            }
        }
    }

    /// One trusted issuer as written in config.yaml; ``OIDCIssuerSettings`` is the checked form.
    public struct OIDCIssuer: Codable, Sendable, Equatable {
        /// The `iss` of its tokens, e.g. `https://token.actions.githubusercontent.com`.
        public var issuer: String
        /// The `aud` its tokens must carry for Signet.
        public var audience: String
        /// Where its signing keys are, instead of its discovery document's `jwks_uri`.
        public var jwksURL: String?
        /// A local JWKS file instead (for issuers not reachable from the CA, or pinned keys).
        public var jwksFile: String?
        /// `RS256`, `ES256` or both (default both).
        public var algorithms: [String]?
        /// Tolerance for the issuer's clock in `exp`/`nbf`/`iat`, at most 60 s (default 30 s).
        public var clockSkew: String?
        /// `github`, `gitlab` or `generic`: how its claims map to repository, ref and workflow (default: from the claims).
        public var provider: String?
        /// The forge's web address for the URIs put into certificates (default: https://github.com, or the issuer for GitLab).
        public var serverURL: String?
        /// How often its keys are fetched again even when every `kid` is known (default 15m).
        public var refresh: String?

        public init(issuer: String, audience: String, jwksURL: String? = nil, jwksFile: String? = nil, algorithms: [String]? = nil,
                    clockSkew: String? = nil, provider: String? = nil, serverURL: String? = nil, refresh: String? = nil) {
            (self.issuer, self.audience, self.jwksURL, self.jwksFile, self.algorithms) = (issuer, audience, jwksURL, jwksFile, algorithms)
            (self.clockSkew, self.provider, self.serverURL, self.refresh) = (clockSkew, provider, serverURL, refresh)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case issuer, audience
            case jwksURL = "jwks_url"
            case jwksFile = "jwks_file"
            case algorithms
            case clockSkew = "clock_skew"
            case provider
            case serverURL = "server_url"
            case refresh
        }

        public init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "an identity.oidc entry")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.issuer = try c.decode(String.self, forKey: .issuer)
            self.audience = try c.decode(String.self, forKey: .audience)
            self.jwksURL = try c.decodeIfPresent(String.self, forKey: .jwksURL)
            self.jwksFile = try c.decodeIfPresent(String.self, forKey: .jwksFile)
            self.algorithms = try c.decodeIfPresent([String].self, forKey: .algorithms)
            self.clockSkew = try c.decodeIfPresent(String.self, forKey: .clockSkew)
            self.provider = try c.decodeIfPresent(String.self, forKey: .provider)
            self.serverURL = try c.decodeIfPresent(String.self, forKey: .serverURL)
            self.refresh = try c.decodeIfPresent(String.self, forKey: .refresh)
        }
    }
}

/// Refuses keys a Codable type does not know, so a misspelt `clock_skwe` in config.yaml is an error
/// at load rather than a silently ignored setting.
enum StrictKeys {
    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func check(_ decoder: any Decoder, allowed: [String], in what: String) throws {
        let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = keys.first(where: { !allowed.contains($0) }) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown key \(SignetError.quote(unknown)) in \(what); allowed: \(allowed.sorted().joined(separator: ", "))"))
        }
    }
}
