import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime
import X509

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List certificates, newest filters first.")

    @OptionGroup var options: HomeOptions

    @Option(help: "valid, revoked, expired or pending.")
    var status: String?

    @Option(help: "Only this team's certificates.")
    var team: String?

    @Option(help: "Only this profile's certificates.")
    var profile: String?

    @Option(help: "Only certificates issued to CI identities of this repository (owner/name, GitLab group/project).")
    var repository: String?

    @Option(name: .customLong("expiring-within"), help: "Only valid certificates expiring within this duration, e.g. 48h.")
    var expiringWithin: String?

    @Option(help: "Maximum number of rows (1-1000000).")
    var limit: Int = 1000

    func run() async throws {
        try await runReporting {
            // The options are checked by the listing's own parser (the API's), before the home is opened.
            let now = Date()
            let given: [(name: String, value: String?)] = [
                ("status", status), ("team", team), ("profile", profile), ("repository", repository), ("expiring_within", expiringWithin),
                ("limit", String(limit)),
            ]
            let query = try CertificateQuery(parameters: given.compactMap { pair in pair.value.map { (name: pair.name, value: $0) } },
                                             now: now, limits: 1...1_000_000)
            let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
            let records = try await view.store.certificates(query)
            if options.json {
                try printJSON(records.map { $0.summary(at: now) })
                return
            }
            var table = TextTable(header: ["SERIAL", "STATUS", "PROFILE", "TEAM", "NOT AFTER", "SUBJECT"])
            for record in records {
                table.add([record.serial, record.displayStatus(at: now), record.profile, record.team ?? "-", record.notAfter.iso8601, record.subject])
            }
            table.print()
        }
    }
}
