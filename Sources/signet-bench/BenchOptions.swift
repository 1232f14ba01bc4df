import ArgumentParser
import Foundation
import SignetRuntime

/// Options every benchmark takes: the home it runs against.
struct BenchOptions: ParsableArguments {
    @Option(name: .long, help: "Signet home directory (default: $SIGNET_HOME, else ./.signet).")
    var home: String?

    var directory: String { SignetHome.resolve(home) }
}

/// Runs a benchmark's body; an error is one line on stderr and exit status 1, as with `signet`.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data(("signet-bench: " + CommandLineOutput.describe(error) + "\n").utf8))
        throw ExitCode(1)
    }
}

func readFile(_ path: String, what: String) throws -> [UInt8] {
    try CommandLineOutput.readFile(path, what: what)
}

/// Prints one compact JSON object on one line (keys sorted), for scripts.
func printJSONLine(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
