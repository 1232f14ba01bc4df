import ArgumentParser

/// Micro-benchmarks used by `make bench` (Benchmarks/); hidden from the normal help.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Micro-benchmarks for Benchmarks/ (HSM signing, CRL generation).", shouldDisplay: false, subcommands: [])
}
