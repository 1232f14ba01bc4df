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
        abstract: "Validate config.yaml and the profiles without starting anything (exit 0 when both are valid).")

    @OptionGroup var options: HomeOptions

    func run() async throws {
        try await runReporting {
            let home = try SignetHome.open(options.directory)
            let profiles = try ProfileLoader.load(directory: home.profilesDirectory)
            let names = profiles.all.map(\.name)
            if options.json {
                try printJSON(CheckResult(config: home.directory + "/" + SignetHome.configFile, profilesDirectory: home.profilesDirectory, profiles: names, valid: true))
            } else {
                print("\(home.directory)/\(SignetHome.configFile) is valid")
                print("\(names.count) profiles in \(home.profilesDirectory) are valid: \(names.joined(separator: ", "))")
            }
        }
    }

    struct CheckResult: Encodable {
        let config: String
        let profilesDirectory: String
        let profiles: [String]
        let valid: Bool

        enum CodingKeys: String, CodingKey {
            case config
            case profilesDirectory = "profiles_directory"
            case profiles
            case valid
        }
    }
}
