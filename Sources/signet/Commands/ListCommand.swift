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
            print(["SERIAL".padding(toLength: 40, withPad: " ", startingAt: 0), "STATUS  ", "PROFILE".padding(toLength: 20, withPad: " ", startingAt: 0),
                   "TEAM".padding(toLength: 12, withPad: " ", startingAt: 0), "NOT AFTER           ", "SUBJECT"].joined(separator: " "))
            for record in records {
                print([record.serial, record.displayStatus(at: now).padding(toLength: 8, withPad: " ", startingAt: 0),
                       record.profile.padding(toLength: 20, withPad: " ", startingAt: 0),
                       (record.team ?? "-").padding(toLength: 12, withPad: " ", startingAt: 0), record.notAfter.iso8601, record.subject].joined(separator: " "))
            }
        }
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one certificate by serial.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "Serial number, lowercase hex without separators.")
    var serial: String

    @Flag(help: "Print the certificate PEM only.")
    var pem = false

    func run() async throws {
        try await runReporting {
            let serial = try Hex.serial(self.serial)
            let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
            guard let record = try await view.store.certificate(serial: serial) else {
                throw SignetError.notFound("No certificate with serial \(serial)")
            }
            let now = view.clock.now()
            let pemText = record.der.map { PEM.encode($0) }
            if pem {
                guard let pemText else { throw SignetError.conflict("Certificate \(serial) is pending and has no certificate") }
                print(pemText)
            } else if options.json {
                try printJSON(ShowResult(certificate: record.summary(at: now), pem: pemText))
            } else {
                let s = record.summary(at: now)
                let rows: [(String, String?)] = [
                    ("Serial", s.serial), ("Status", s.status), ("Subject", s.subject), ("Profile", s.profile), ("Issuer", s.issuer),
                    ("Team", s.team), ("Release", s.release), ("Requester", s.requester), ("Key id", s.keyId),
                    ("Not before", s.notBefore.iso8601), ("Not after", s.notAfter.iso8601), ("Revoked at", s.revokedAt?.iso8601),
                    ("Reason", s.revocationReason), ("Recorded", s.createdAt.iso8601),
                ]
                for (label, value) in rows { if let value { print("\(label.padding(toLength: 11, withPad: " ", startingAt: 0)) \(value)") } }
                if let pemText { print(pemText) }
            }
        }
    }

    struct ShowResult: Encodable {
        let certificate: CertificateSummary
        let pem: String?
    }
}
