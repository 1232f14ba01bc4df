import ArgumentParser
import Foundation
import SignetClient

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
            print(["PROFILE".padding(toLength: 24, withPad: " ", startingAt: 0), "SOURCE", "DEFAULT", "MAX    ",
                   "KEY TYPES".padding(toLength: 34, withPad: " ", startingAt: 0), "DESCRIPTION"].joined(separator: " "))
            for p in profiles {
                print([p.name.padding(toLength: 24, withPad: " ", startingAt: 0), p.keySource.padding(toLength: 6, withPad: " ", startingAt: 0),
                       p.defaultValidity.padding(toLength: 7, withPad: " ", startingAt: 0), p.maxValidity.padding(toLength: 7, withPad: " ", startingAt: 0),
                       p.keyTypes.joined(separator: ",").padding(toLength: 34, withPad: " ", startingAt: 0), p.description].joined(separator: " "))
            }
        }
    }
}
