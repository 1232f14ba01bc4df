import ArgumentParser
import SignetCore
import SignetRuntime

/// `signet config`: the home's configuration, checked without starting anything.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the home's config.yaml and profiles.",
        subcommands: [ConfigCheckCommand.self])
}

/// `signet config check`: reads config.yaml and every profile exactly as `signet serve` would (unknown
/// keys, types, durations, limits, the profile set's consistency) and reports the first problem with
/// its file and line. It opens neither the HSM nor the store, so it is safe beside a running server —
/// e.g. before sending it SIGHUP to reload.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate config.yaml, the profiles and ci-identities.yaml without starting anything (exit 0 when all are valid).")

    @OptionGroup var options: HomeOptions

    func run() async throws {
        try await runReporting {
            let home = try SignetHome.open(options.directory)
            _ = try home.storeLocation()  // SIGNET_STORE_URL, when set, must parse too
            let profiles = try ProfileLoader.load(directory: home.profilesDirectory)
            let names = profiles.all.map(\.name)
            // The CI identity rules, checked as `signet serve` checks them: against config.yaml's issuers and the profiles.
            let policy = try ProfileLoader.load(ciIdentitiesIn: home.profilesDirectory)
            try policy.validate(issuers: try home.config.identity?.issuerSettings() ?? [], profiles: profiles)
            if options.json {
                try printJSON(CheckResult(config: home.directory + "/" + SignetHome.configFile, profilesDirectory: home.profilesDirectory, profiles: names,
                                          ciIdentities: policy.source, ciIdentityRules: policy.rules.count, valid: true))
            } else {
                print("\(home.directory)/\(SignetHome.configFile) is valid")
                print("\(names.count) profiles in \(home.profilesDirectory) are valid: \(names.joined(separator: ", "))")
                print("\(policy.source) is valid: \(policy.rules.count) CI identity rules")
            }
        }
    }

    struct CheckResult: Encodable {
        let config: String
        let profilesDirectory: String
        let profiles: [String]
        let ciIdentities: String
        let ciIdentityRules: Int
        let valid: Bool

        enum CodingKeys: String, CodingKey {
            case config
            case profilesDirectory = "profiles_directory"
            case profiles
            case ciIdentities = "ci_identities"
            case ciIdentityRules = "ci_identity_rules"
            case valid
        }
    }
}
