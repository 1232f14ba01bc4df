import ArgumentParser
import Foundation
import SignetClient
import SignetCore
import SignetRuntime

/// `signet revoke`: over HTTP with a token (a developer's or ci's own certificates, an admin's any),
/// else in the CA home as its operator.
struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a certificate by serial (lowercase hex).",
        discussion: """
            With a token (SIGNET_TOKEN or --token-file) or --url, asks the Signet server: developer and ci tokens may revoke the \
            certificates they requested, admins any. Otherwise revokes in the CA home as its operator.
            """)

    @OptionGroup var options: HomeOptions
    @OptionGroup var client: ClientOptions

    @Argument(help: "Serial number in hex, as openssl or a browser shows it (any case, colons allowed).")
    var serial: String

    @Option(help: "RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, affiliationChanged, privilegeWithdrawn, unspecified, cACompromise, aACompromise.")
    var reason: String = "unspecified"

    func run() async throws {
        try await runReporting(json: options.json) {
            let reason = try RevocationReason(parsing: reason)
            if client.remote {
                let record = try await client.context().api().revoke(serial: serial, reason: reason)
                if options.json {
                    try printJSONObject(record)
                } else {
                    print("Revoked \(record["serial"] ?? serial) (\(reason.name)) at \(record["revoked_at"] ?? "")")
                }
                return
            }
            let runtime = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
            let record = try await runtime.revoke(serial: serial, reason: reason, by: SignetRuntime.localOperator())
            if options.json {
                try printJSON(record.detail(at: Date()))
            } else {
                print("Revoked \(record.serial) (\(reason.name)) at \(record.revokedAt?.iso8601 ?? "")")
            }
        }
    }
}
