import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime
import X509

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one certificate by serial.")

    @OptionGroup var options: HomeOptions

    @Argument(help: "Serial number in hex, as openssl or a browser shows it (any case, colons allowed).")
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
                try printJSON(record.detail(at: now))
            } else {
                let s = record.summary(at: now)
                let rows: [(String, String?)] = [
                    ("Serial", s.serial), ("Status", s.status), ("Subject", s.subject), ("Profile", s.profile), ("Issuer", s.issuer),
                    ("Team", s.team), ("Release", s.release), ("Requester", s.requester), ("Key id", s.keyId),
                    ("Not before", s.notBefore.iso8601), ("Not after", s.notAfter.iso8601), ("Revoked at", s.revokedAt?.iso8601),
                    ("Reason", s.revocationReason), ("Recorded", s.createdAt.iso8601),
                ]
                var table = TextTable()
                for (label, value) in rows { if let value { table.add([label, value]) } }
                table.print()
                if let pemText { print(pemText) }
            }
        }
    }
}
