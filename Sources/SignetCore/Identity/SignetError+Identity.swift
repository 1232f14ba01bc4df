/// The refusals of CI workload identity (OIDC ID tokens), one code each, so a pipeline's log says
/// exactly what was wrong with its token and an operator can grep the audit trail for it. The kind
/// fixes the HTTP status: 401 for a token Signet does not accept, 403 for a token it accepts but whose
/// identity may not do what was asked, 503 when the issuer's keys cannot be had.
extension SignetError.Code {
    /// The token is longer than ``IDTokenVerifier/maximumTokenLength``.
    public static let oidcTokenTooLarge = Self("oidc_token_too_large", kind: .unauthenticated)
    /// Not a compact JWS with a JSON header and payload.
    public static let oidcMalformedToken = Self("oidc_malformed_token", kind: .unauthenticated)
    /// The token's `iss` is not an issuer listed in `identity.oidc` (or none is configured).
    public static let oidcUnknownIssuer = Self("oidc_unknown_issuer", kind: .unauthenticated)
    /// `alg` is not one the issuer is configured for (`none`, HS256, …), or does not fit the key.
    public static let oidcAlgorithmRefused = Self("oidc_algorithm_refused", kind: .unauthenticated)
    /// The issuer publishes no key with the token's `kid`, even after a refresh.
    public static let oidcUnknownKey = Self("oidc_unknown_key", kind: .unauthenticated)
    /// The signature does not verify: the header, payload or signature was changed.
    public static let oidcBadSignature = Self("oidc_bad_signature", kind: .unauthenticated)
    /// `exp` is past (beyond the issuer's clock skew).
    public static let oidcTokenExpired = Self("oidc_token_expired", kind: .unauthenticated)
    /// `nbf` or `iat` is in the future (beyond the issuer's clock skew).
    public static let oidcTokenNotYetValid = Self("oidc_token_not_yet_valid", kind: .unauthenticated)
    /// `aud` does not name Signet's audience for the issuer.
    public static let oidcWrongAudience = Self("oidc_wrong_audience", kind: .unauthenticated)
    /// A claim Signet needs (`sub`, `exp`) is missing or not a string/number.
    public static let oidcMissingClaim = Self("oidc_missing_claim", kind: .unauthenticated)
    /// The token is valid but no rule of `ci-identities.yaml` matches its claims.
    public static let oidcNoMatchingRule = Self("oidc_no_matching_rule", kind: .forbidden)
    /// The rule that matched does not grant the release asked for.
    public static let oidcReleaseNotGranted = Self("oidc_release_not_granted", kind: .forbidden)
    /// The rule that matched does not grant the profile asked for.
    public static let oidcProfileNotGranted = Self("oidc_profile_not_granted", kind: .forbidden)
    /// The issuer's keys could not be fetched and none are cached.
    public static let oidcKeysUnavailable = Self("oidc_keys_unavailable", kind: .unavailable)
}
