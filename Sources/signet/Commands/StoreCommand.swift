import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime

/// `signet store`: the home's store as a whole.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "The home's store (SQLite or PostgreSQL).", subcommands: [Migrate.self])

    /// `signet store migrate --to postgres://…`: copies the home's SQLite records into an empty
    /// PostgreSQL database (``StoreMigration``). The password comes from `SIGNET_STORE_PASSWORD` or the
    /// home's `store_password_file`, never from the command line.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy the home's SQLite records (certificates, authorities, keys, tokens, audit trail) into an empty PostgreSQL database.")

        @OptionGroup var options: HomeOptions
        @Option(name: .customLong("to"), help: "The database: postgres://USER@HOST[:PORT]/DATABASE (password in SIGNET_STORE_PASSWORD or store_password_file).")
        var target: String

        func run() async throws {
            try await runReporting {
                let home = try SignetHome.open(options.directory)
                let url = try PostgresStoreURL(parsing: target)
                let summary = try await StoreMigration.copy(home, to: url, password: try home.storePassword())
                if options.json {
                    try printJSON(summary)
                } else {
                    let counts = summary.rows.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                    print("Copied into \(summary.target): \(counts); the audit trail's \(summary.auditEntries) entries verify")
                    print("Point the home at it: store: \(summary.target) in \(home.directory)/\(SignetHome.configFile) (or SIGNET_STORE_URL)")
                }
            }
        }
    }
}
