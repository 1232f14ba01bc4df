import ArgumentParser
import Foundation
import SignetClient
import SignetCore
import SignetRuntime

/// `signet`: the command-line front of Signet. Commands parse their arguments, call the libraries
/// and print; policy lives in SignetCore, client logic in SignetClient.
@main
struct SignetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signet",
        abstract: "Signet: a test-signing certificate authority whose keys never leave the HSM.",
        discussion: "Exit status: " + ExitStatus.table.map { "\($0.status) \($0.name)" }.joined(separator: ", ") + " (README.md explains each).",
        version: SignetVersion.description,
        subcommands: [
            InitCommand.self, ServeCommand.self, IssueCommand.self, RevokeCommand.self, ListCommand.self, ShowCommand.self, CACommand.self,
            TokenCommand.self, CRLCommand.self, TimestampCommand.self, RotateCommand.self, ReleaseKeyCommand.self, SignCommand.self,
            AuditCommand.self, InventoryCommand.self, ReportCommand.self, ConfigCommand.self, StoreCommand.self,
            RequestCommand.self, RenewCommand.self, ProfilesCommand.self,
        ]
    )

    /// ArgumentParser's own entry point, except that an argument it cannot parse gets one line on
    /// stderr (`signet: Error: …`) like every other refusal, not the error plus the usage screen, and
    /// the table's usage status (ArgumentParser would exit 64). Help and version requests still print
    /// in full; errors a command reported itself (``runReporting``) were printed already.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode { exit(withError: error) }
            let lines = message(for: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            let usage = code == .validationFailure
            FileHandle.standardError.write(Data(("signet: " + lines.filter { !$0.isEmpty }.joined(separator: " ") + (usage ? " (see --help)" : "") + "\n").utf8))
            // A command that threw past runReporting still exits by the table.
            Foundation.exit(usage ? ExitStatus.usage : code == .failure ? ExitStatus.status(for: error) : code.rawValue)
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

/// Runs a command body and turns any error into one line on stderr and the exit status of the one
/// table every command shares (``ExitStatus``, documented in README.md). With `json`, the error is
/// also printed on stdout as `{"error": {"code", "message", "exit_status"}}` for scripts.
func runReporting(json: Bool = false, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let status = error is ValidationError ? ExitStatus.usage : ExitStatus.status(for: error)
        FileHandle.standardError.write(Data(("signet: " + describe(error) + "\n").utf8))
        if json {
            let code = (error as? SignetError)?.code ?? (error as? SignetErrorConvertible)?.asSignetError.code ?? .internalError
            try? printJSON(["error": ErrorBody(code: code.name, message: describe(error), exitStatus: status)])
        }
        throw ExitCode(status)
    }
}

/// The JSON shape of a failed command under `--json`.
struct ErrorBody: Encodable {
    let code: String
    let message: String
    let exitStatus: Int32
}

func describe(_ error: any Error) -> String { CommandLineOutput.describe(error) }

/// JSON output with stable key order and snake_case keys.
func printJSON<T: Encodable>(_ value: T) throws { try CommandLineOutput.printJSON(value) }

/// A JSON object as the server sent it (`revoke`, `release-key` over HTTP), with the same layout as ``printJSON(_:)``.
func printJSONObject(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

func readFile(_ path: String, what: String) throws -> [UInt8] { try CommandLineOutput.readFile(path, what: what) }

extension Date {
    var iso8601: String { ISO8601.string(self) }
}
