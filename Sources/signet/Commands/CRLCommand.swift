import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime

struct CRLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crl", abstract: "Certificate revocation lists.", subcommands: [Publish.self])

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish", abstract: "Sign a CRL for every issuer and write <crl dir>/<issuer-name>.crl (DER), atomically.")

        @OptionGroup var options: HomeOptions

        func run() async throws {
            try await runReporting {
                let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
                let published = try await runtime.makeRevocation().publishAll()
                if options.json {
                    try printJSON(published.map {
                        CRLPublishOutput(issuer: $0.issuer, number: $0.number, entries: $0.entries, thisUpdate: $0.thisUpdate, nextUpdate: $0.nextUpdate,
                                     path: runtime.home.crlDirectory + "/" + $0.issuer + ".crl")
                    })
                } else {
                    for crl in published {
                        print("\(runtime.home.crlDirectory)/\(crl.issuer).crl  number \(crl.number), \(crl.entries) revoked, next update \(crl.nextUpdate.iso8601)")
                    }
                }
            }
        }
    }
}

/// One line of `signet crl publish --json`: numbers as numbers, times in RFC 3339.
private struct CRLPublishOutput: Encodable {
    let issuer: String
    let number: Int64
    let entries: Int
    let thisUpdate: Date
    let nextUpdate: Date
    let path: String
}
