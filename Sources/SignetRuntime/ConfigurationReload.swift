import SignetCore

/// What `signet serve` does on SIGHUP: config.yaml and the profiles are read and checked exactly as at
/// start-up (`signet config check` runs the same checks), and only if both are valid is anything
/// changed. The profiles take effect for the next request; config.yaml's settings are bound to
/// things made at start-up (the listener, the HSM sessions, the store), so a changed key is named
/// in the summary as taking effect at the next start rather than applied half-way.
public enum ConfigurationReload {
    /// Reloads `home`'s profiles into `ca`; `running` is the config the server started with.
    /// Returns a one-line summary; throws, changing nothing, when a file is invalid.
    public static func reload(home directory: String, into ca: CertificateAuthority, identity: WorkloadAuthenticator? = nil, running: SignetConfig) throws -> String {
        let home = try SignetHome.open(directory)
        let profiles = try ProfileLoader.load(directory: home.profilesDirectory)
        // The CI identity rules are checked against the new profiles and the running issuers (issuers
        // are config.yaml's, which changes at restart) before anything is replaced: a bad rule keeps
        // both the old profiles and the old rules.
        let policy = try ProfileLoader.load(ciIdentitiesIn: home.profilesDirectory)
        try policy.validate(issuers: try running.identity?.issuerSettings() ?? [], profiles: profiles)
        try ca.replaceProfiles(profiles)
        identity?.replacePolicy(policy)
        var summary = "\(profiles.all.count) profiles in effect: \(profiles.all.map(\.name).joined(separator: ", ")); \(policy.rules.count) CI identity rules"
        let changed = changedKeys(running, home.config)
        if !changed.isEmpty { summary += "; config.yaml changed \(changed.joined(separator: ", ")), which takes effect at the next start" }
        return summary
    }

    /// The top-level config.yaml keys whose values differ.
    static func changedKeys(_ old: SignetConfig, _ new: SignetConfig) -> [String] {
        var keys: [String] = []
        if old.baseURL != new.baseURL { keys.append("base_url") }
        if old.listen != new.listen { keys.append("listen") }
        if old.profilesDir != new.profilesDir { keys.append("profiles_dir") }
        if old.hsm != new.hsm { keys.append("hsm") }
        if old.crl != new.crl { keys.append("crl") }
        if old.ocsp != new.ocsp { keys.append("ocsp") }
        if old.audit != new.audit { keys.append("audit") }
        if old.server != new.server { keys.append("server") }
        if old.identity != new.identity { keys.append("identity") }
        return keys
    }
}
