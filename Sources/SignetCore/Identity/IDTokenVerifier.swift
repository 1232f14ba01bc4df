import Foundation
import JWTKit

/// Verifies a CI job's OIDC ID token (a JWS, RFC 7515, compact form) and returns the identity it
/// proves. The JOSE work is jwt-kit's: parsing, base64url, the RS256/ES256 signature over the header
/// and payload. What Signet decides around it, in this order, each with its own refusal code:
///
/// 1. size (at most 16 KiB) and shape: a header and payload jwt-kit can parse;
/// 2. the issuer (`iss`) is one of config.yaml's `identity.oidc`;
/// 3. the algorithm is one that issuer is configured for. `none` and HMAC never are: an `HS256` token
///    "signed" with the issuer's RSA public key as the secret (the algorithm-confusion attack) is
///    refused here, before any key is touched, and jwt-kit could not verify it anyway (it never makes
///    an HMAC key out of an RSA JWK);
/// 4. the key its `kid` names, from the issuer's key set (refreshed once when the `kid` is new), whose
///    type and declared `alg` must fit the token's `alg`;
/// 5. the signature, by jwt-kit, against that one key;
/// 6. `exp`, `nbf`, `iat` with the issuer's clock skew (jwt-kit's claim types, Signet's clock), `aud`
///    and `sub`.
public struct IDTokenVerifier: Sendable {
    public let issuers: [String: OIDCIssuerSettings]
    public let keys: JWKSCache
    public let clock: any SignetClock

    /// Real ID tokens are 1-2 KiB; anything past this is refused before it is parsed.
    public static let maximumTokenLength = 16 * 1024

    public init(issuers: [OIDCIssuerSettings], keys: JWKSCache, clock: any SignetClock) {
        self.issuers = Dictionary(issuers.map { ($0.issuer, $0) }, uniquingKeysWith: { first, _ in first })
        self.keys = keys
        self.clock = clock
    }

    /// Whether a bearer credential is shaped like a JWS (three base64url parts, a JSON header), as
    /// opposed to a Signet `sgt_` token. Only the shape: nothing is verified.
    public static func looksLikeJWT(_ credential: String) -> Bool {
        credential.hasPrefix("eyJ") && credential.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count == 2
    }

    /// The claims of a token without verifying anything, for the audit entry of a refusal: what the
    /// token *claimed* to be. Nil when it does not parse.
    public static func unverifiedClaims(_ token: String) -> IDTokenPayload? {
        guard token.utf8.count <= maximumTokenLength else { return nil }
        return try? DefaultJWTParser().parse(Array(token.utf8), as: IDTokenPayload.self).payload
    }

    /// The identity the token proves; a ``SignetError`` with one of the `oidc_…` codes otherwise.
    public func verify(_ token: String) async throws -> WorkloadIdentity {
        let octets = Array(token.utf8)
        guard octets.count <= Self.maximumTokenLength else {
            throw SignetError(.oidcTokenTooLarge, "The ID token is \(octets.count) octets; at most \(Self.maximumTokenLength) are accepted")
        }
        let header: JWTHeader
        let unverified: IDTokenPayload
        do {
            (header, unverified, _) = try DefaultJWTParser().parse(octets, as: IDTokenPayload.self)
        } catch {
            throw SignetError(.oidcMalformedToken, "Expected an OIDC ID token (a JWS: base64url header.payload.signature with a JSON header and payload), got something else")
        }
        // 2. The issuer decides everything else (algorithms, keys, audience), so it is looked up first.
        guard let claimed = unverified.claims["iss"] else {
            throw SignetError(.oidcMissingClaim, "The ID token has no issuer (iss)")
        }
        guard let issuer = issuers[claimed] else {
            throw SignetError(.oidcUnknownIssuer, "Issuer \(SignetError.quote(claimed)) is not trusted by this Signet (identity.oidc in config.yaml)")
        }
        // 3. The algorithm, from the header, before any key is used.
        guard let name = header.alg, let algorithm = OIDCIssuerSettings.Algorithm(rawValue: name), issuer.algorithms.contains(algorithm) else {
            throw SignetError(.oidcAlgorithmRefused, "Algorithm \(SignetError.quote(header.alg ?? "(none given)")) is not accepted for \(issuer.issuer); "
                + "expected \(issuer.algorithms.map(\.rawValue).sorted().joined(separator: " or "))")
        }
        // 4. The key.
        guard let key = try await keys.key(for: issuer, kid: header.kid) else {
            throw SignetError(.oidcUnknownKey, header.kid.map { "\(issuer.issuer) publishes no key \(SignetError.quote($0)), even after fetching its keys again" }
                ?? "The ID token names no key (kid) and \(issuer.issuer) publishes more than one")
        }
        guard key.algorithm == algorithm, key.declaredAlgorithm == nil || key.declaredAlgorithm == name else {
            throw SignetError(.oidcAlgorithmRefused, "Algorithm \(name) does not fit key \(SignetError.quote(key.kid ?? "?")) of \(issuer.issuer) (a \(key.algorithm.rawValue) key)")
        }
        // 5. The signature: jwt-kit, against this key only.
        let payload: IDTokenPayload
        do {
            payload = try await key.verifier.verify(octets, as: IDTokenPayload.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw SignetError(.oidcBadSignature, "The ID token's signature does not verify with \(issuer.issuer)'s key \(SignetError.quote(key.kid ?? "?")): it was altered or not made by the issuer")
        } catch {
            throw SignetError(.oidcBadSignature, "The ID token does not verify with \(issuer.issuer)'s key \(SignetError.quote(key.kid ?? "?"))")
        }
        // 6. Claims, with the verified payload.
        return try Self.identity(from: payload, issuer: issuer, now: clock.now())
    }

    /// The checks on a verified payload: time (with skew), audience, subject.
    static func identity(from payload: IDTokenPayload, issuer: OIDCIssuerSettings, now: Date) throws -> WorkloadIdentity {
        guard payload.claims["iss"] == issuer.issuer else {
            throw SignetError(.oidcUnknownIssuer, "The ID token's issuer changed between parsing and verification")
        }
        guard let exp = payload.expiresAt else {
            throw SignetError(.oidcMissingClaim, "The ID token has no expiry (exp); CI issuers always set one")
        }
        let expiresAt = Date(timeIntervalSince1970: exp)
        do {
            try ExpirationClaim(value: expiresAt).verifyNotExpired(currentDate: now.addingTimeInterval(-issuer.clockSkew))
        } catch {
            throw SignetError(.oidcTokenExpired, "The ID token expired at \(ISO8601.string(expiresAt)); ask the CI for a fresh one")
        }
        for (claim, seconds) in [("nbf", payload.notBefore), ("iat", payload.issuedAt)] {
            guard let seconds else { continue }
            let start = Date(timeIntervalSince1970: seconds)
            do {
                try NotBeforeClaim(value: start).verifyNotBefore(currentDate: now.addingTimeInterval(issuer.clockSkew))
            } catch {
                throw SignetError(.oidcTokenNotYetValid, "The ID token is not valid before \(ISO8601.string(start)) (\(claim)); check the clocks of the CI and of Signet")
            }
        }
        do {
            try AudienceClaim(value: payload.audiences).verifyIntendedAudience(includes: issuer.audience)
        } catch {
            throw SignetError(.oidcWrongAudience, "The ID token is for \(payload.audiences.prefix(4).map { SignetError.quote($0) }.joined(separator: ", ")), "
                + "not for Signet (\(SignetError.quote(issuer.audience))); request the token with that audience")
        }
        guard let subject = payload.claims["sub"], !subject.isEmpty else {
            throw SignetError(.oidcMissingClaim, "The ID token has no subject (sub)")
        }
        let provider = WorkloadIdentity.provider(configured: issuer.provider, claims: payload.claims)
        return WorkloadIdentity(
            issuer: issuer.issuer, subject: subject, provider: provider,
            serverURL: issuer.serverURL ?? WorkloadIdentity.defaultServerURL(provider: provider, issuer: issuer.issuer),
            claims: payload.claims, expiresAt: expiresAt)
    }
}
