import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime
import SignetStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "A compliance report: key protection read back from the HSM, profile limits, revocations, signatures per key, anomalies.")

    @OptionGroup var options: HomeOptions

    @Option(help: "json or md.")
    var format: String = "md"

    @Option(help: "The period covered, back from now (default 30d).")
    var since: String = "30d"

    func run() async throws {
        try await runReporting {
            guard format == "json" || format == "md" else { throw SignetError.malformed("Unknown format '\(format)'; use json or md") }
            let period = try ValidityDuration(parsing: since)
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let report = try await ComplianceReport.collect(
                ca: runtime.ca, trail: runtime.auditTrail, counts: runtime.store,
                since: runtime.clock.now().addingTimeInterval(-period.timeInterval))
            if format == "json" || options.json { try printJSON(report) } else { print(report.markdown()) }
        }
    }
}
