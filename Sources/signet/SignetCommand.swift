import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime

/// `signet`: the command-line front of Signet. Commands parse their arguments, call the libraries
/// and print; policy lives in SignetCore.
@main
struct SignetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signet",
        abstract: "Signet: a test-signing certificate authority whose keys never leave the HSM.",
        subcommands: [
            InitCommand.self, ServeCommand.self, IssueCommand.self, RevokeCommand.self, ListCommand.self, ShowCommand.self, CACommand.self,
            TokenCommand.self, CRLCommand.self, TimestampCommand.self, RotateCommand.self, ReleaseKeyCommand.self, SignCommand.self,
            AuditCommand.self, InventoryCommand.self, ReportCommand.self, ConfigCommand.self,
        ]
    )

    /// ArgumentParser's own entry point, except that an argument it cannot parse gets one line on
    /// stderr (`signet: Error: …`) like every other refusal, not the error plus the usage screen.
    /// Help and version requests still print in full; errors a command reported itself (``runReporting``)
    /// were printed already.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode { exit(withError: error) }
            let lines = message(for: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            FileHandle.standardError.write(Data(("signet: " + lines.filter { !$0.isEmpty }.joined(separator: " ") + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

/// Options every command takes.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: "Signet home directory (default: $SIGNET_HOME, else ./.signet).")
    var home: String?

    @Flag(name: .long, help: "Print JSON for machines instead of human text.")
    var json = false

    var directory: String { SignetHome.resolve(home) }
}

/// Runs a command body and turns any error into one line on stderr and exit status 1.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data(("signet: " + describe(error) + "\n").utf8))
        throw ExitCode(1)
    }
}

func describe(_ error: any Error) -> String { CommandLineOutput.describe(error) }

/// JSON output with stable key order and snake_case keys.
func printJSON<T: Encodable>(_ value: T) throws { try CommandLineOutput.printJSON(value) }

func readFile(_ path: String, what: String) throws -> [UInt8] { try CommandLineOutput.readFile(path, what: what) }

extension Date {
    var iso8601: String { ISO8601.string(self) }
}
