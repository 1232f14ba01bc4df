import Foundation
import JWTKit

/// The payload of an OIDC ID token as jwt-kit decodes it: every scalar claim kept as text (CI
/// issuers send strings, a few numbers such as GitLab's `runner_id`, and booleans), `aud` as one value
/// or a list, and the time claims as numbers. Lists and objects (GitLab's `groups_direct`,
/// `user_identities`) are skipped: no rule matches them and no certificate carries them.
///
/// Time and audience are not checked here: ``IDTokenVerifier`` checks them after the signature, with
/// Signet's clock and the issuer's skew.
public struct IDTokenPayload: JWTPayload, Sendable, Hashable {
    public var claims: [String: String]
    public var audiences: [String]
    public var expiresAt: Double?
    public var notBefore: Double?
    public var issuedAt: Double?

    /// More claims than any CI issuer sends; a token is at most 16 KiB anyway.
    static let maximumClaims = 256

    public init(claims: [String: String], audiences: [String], expiresAt: Double?, notBefore: Double?, issuedAt: Double?) {
        self.claims = claims
        self.audiences = audiences
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var claims: [String: String] = [:]
        var audiences: [String] = []
        var times: [String: Double] = [:]
        for key in container.allKeys.prefix(Self.maximumClaims) {
            switch key.stringValue {
            case "aud":
                if let one = try? container.decode(String.self, forKey: key) {
                    audiences = [one]
                } else if let many = try? container.decode([String].self, forKey: key) {
                    audiences = many
                }
            case "exp", "nbf", "iat":
                // RFC 7519 §2 NumericDate: seconds, possibly fractional.
                if let seconds = try? container.decode(Double.self, forKey: key), seconds.isFinite { times[key.stringValue] = seconds }
            default:
                if let text = try? container.decode(String.self, forKey: key) {
                    claims[key.stringValue] = text
                } else if let flag = try? container.decode(Bool.self, forKey: key) {
                    claims[key.stringValue] = flag ? "true" : "false"
                } else if let integer = try? container.decode(Int64.self, forKey: key) {
                    claims[key.stringValue] = String(integer)
                } else if let number = try? container.decode(Double.self, forKey: key), number.isFinite {
                    claims[key.stringValue] = String(number)
                }
            }
        }
        self.init(claims: claims, audiences: audiences, expiresAt: times["exp"], notBefore: times["nbf"], issuedAt: times["iat"])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in claims { try container.encode(value, forKey: Key(stringValue: name)) }
        if audiences.count == 1 { try container.encode(audiences[0], forKey: Key(stringValue: "aud")) }
        else if !audiences.isEmpty { try container.encode(audiences, forKey: Key(stringValue: "aud")) }
        if let expiresAt { try container.encode(expiresAt, forKey: Key(stringValue: "exp")) }
        if let notBefore { try container.encode(notBefore, forKey: Key(stringValue: "nbf")) }
        if let issuedAt { try container.encode(issuedAt, forKey: Key(stringValue: "iat")) }
    }

    /// jwt-kit calls this after the signature verified; the checks that need the clock and the
    /// issuer's settings are ``IDTokenVerifier``'s.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
