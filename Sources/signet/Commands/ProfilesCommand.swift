import ArgumentParser
import Foundation
import SignetClient
import SignetRuntime

struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "List the profiles your token may request under, with key types and validity limits.")

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print JSON for machines instead of human text.")
    var json = false

    func run() async throws {
        try await runReporting(json: json) {
            let context = try await client.context()
            let profiles = try await CertificateRequester(api: try context.api(), roots: context.roots).profiles()
            if json {
                try printJSON(["profiles": profiles])
                return
            }
            var table = TextTable(header: ["PROFILE", "SOURCE", "DEFAULT", "MAX", "KEY TYPES", "DESCRIPTION"])
            for p in profiles {
                table.add([p.name, p.keySource, p.defaultValidity, p.maxValidity, p.keyTypes.joined(separator: ","), p.description])
            }
            table.print()
        }
    }
}
