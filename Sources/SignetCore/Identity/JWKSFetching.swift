/// Where an issuer's key set comes from: HTTP (the discovery document's `jwks_uri`, or a configured
/// URL) or a file. Core only knows this protocol; the fetching is done by the runtime, so the cache
/// and the verifier are tested with keys served by the test itself.
public protocol JWKSFetching: Sendable {
    /// The JWKS document's octets for `issuer`, following its ``OIDCIssuerSettings/keySource``. Throws
    /// when the source cannot be read; the reason goes to the log, not to callers.
    func fetchKeySet(for issuer: OIDCIssuerSettings) async throws -> [UInt8]
}
