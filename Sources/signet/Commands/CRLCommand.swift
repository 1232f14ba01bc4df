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
                    try printJSON(published.map { ["issuer": $0.issuer, "number": "\($0.number)", "entries": "\($0.entries)",
                                                    "this_update": $0.thisUpdate.iso8601, "next_update": $0.nextUpdate.iso8601,
                                                    "path": runtime.home.crlDirectory + "/" + $0.issuer + ".crl"] })
                } else {
                    for crl in published {
                        print("\(runtime.home.crlDirectory)/\(crl.issuer).crl  number \(crl.number), \(crl.entries) revoked, next update \(crl.nextUpdate.iso8601)")
                    }
                }
            }
        }
    }
}
