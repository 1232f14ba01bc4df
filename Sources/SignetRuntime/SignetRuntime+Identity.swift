import SignetCore

extension SignetRuntime {
    /// CI workload identity for this home: config.yaml's `identity.oidc` issuers and the profiles
    /// directory's `ci-identities.yaml`, checked against each other and against the loaded profiles
    /// (a rule may name only a configured issuer and profiles open to ci of its team). Nil when no
    /// issuer is configured: then only Signet's own tokens are accepted.
    public func makeWorkloadAuthenticator() throws -> WorkloadAuthenticator? {
        let issuers = try home.config.identity?.issuerSettings() ?? []
        let policy = try ProfileLoader.load(ciIdentitiesIn: home.profilesDirectory)
        try policy.validate(issuers: issuers, profiles: profiles)
        guard !issuers.isEmpty else { return nil }
        let keys = JWKSCache(fetcher: JWKSFetcher(baseDirectory: home.directory), clock: clock)
        return WorkloadAuthenticator(verifier: IDTokenVerifier(issuers: issuers, keys: keys, clock: clock), policy: policy)
    }
}
