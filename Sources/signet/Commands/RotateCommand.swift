import ArgumentParser
import Crypto
import Foundation
import SignetClient
import SignetCore
import SignetRuntime
import SignetStore
import SignetWire
import SwiftASN1
import X509

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate keys: --due does whatever the profiles' schedules make due (for cron/CI); --issuer NAME rotates one authority now.")

    @OptionGroup var options: HomeOptions

    @Flag(help: "Perform every rotation and retirement that is due.")
    var due = false

    @Option(help: "Rotate this authority now (e.g. issuing-ca-1, ocsp-signer-3, timestamping-1).")
    var issuer: String?

    func validate() throws {
        guard due != (issuer != nil) else { throw ValidationError("Pass exactly one of --due and --issuer NAME") }
    }

    func run() async throws {
        try await runReporting {
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let scheduler = RotationScheduler(ca: runtime.ca)
            var actions: [String]
            if let issuer {
                actions = [try await scheduler.rotate(issuer, by: SignetRuntime.localOperator())]
                actions += try await scheduler.runDue(by: SignetRuntime.localOperator())
            } else {
                actions = try await scheduler.runDue(by: SignetRuntime.localOperator())
            }
            if !actions.isEmpty { try await runtime.makeRevocation().publishAll() }
            if options.json {
                try printJSON(["actions": actions])
            } else if actions.isEmpty {
                print("Nothing is due.")
            } else {
                for action in actions { print(action) }
            }
        }
    }
}
