import ArgumentParser
import Foundation
import SignetClient
import SignetCore
import SignetRuntime
import SignetStore
import X509

struct IssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a certificate for a CSR under a profile; prints the certificate PEM.")

    @OptionGroup var options: HomeOptions

    @Option(help: "Profile name, e.g. prerelease-codesign.")
    var profile: String

    @Option(help: "CSR file (PEM or DER); - reads standard input.")
    var csr: String

    @Option(help: "Team the certificate is for.")
    var team: String?

    @Option(help: "Release the certificate is for.")
    var release: String?

    @Option(help: "Validity, e.g. 24h or 7d (default: the profile's).")
    var validity: String?

    @Option(help: "Write the certificate PEM (with chain) to this file instead of standard output.")
    var out: String?

    func run() async throws {
        try await runReporting {
            let validity = try validity.map(ValidityDuration.init(parsing:))
            let csrBytes = try readFile(csr, what: "CSR")
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let issued = try await runtime.ca.issue(
                IssuanceRequest(profile: profile, csr: csrBytes, team: team, release: release, validity: validity),
                by: SignetRuntime.localOperator())
            let leafPEM = PEM.encode(issued.der)
            let chainPEM = issued.chain.map { PEM.encode($0.derBytes) }
            if let out {
                try AtomicFile.write(([leafPEM] + chainPEM).joined(separator: "\n") + "\n", to: out)
            }
            if options.json {
                try printJSON(IssueResult(serial: issued.record.serial, certificate: leafPEM, chain: chainPEM, notAfter: issued.record.notAfter))
            } else if out != nil {
                print("Issued \(issued.record.serial) (valid until \(issued.record.notAfter.iso8601)) to \(out!)")
            } else {
                print(leafPEM)
            }
        }
    }

    struct IssueResult: Encodable {
        let serial: String
        let certificate: String
        let chain: [String]
        let notAfter: Date
    }
}
