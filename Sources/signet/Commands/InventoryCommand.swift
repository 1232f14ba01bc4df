import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime
import SignetStore

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Every issuer and key, certificates by team/profile/status, what expires soon, and whether store and token agree.")

    @OptionGroup var options: HomeOptions

    @Option(name: .customLong("expiring-within"), help: "Window for the expiring list (default 7d).")
    var expiringWithin: String = "7d"

    func run() async throws {
        try await runReporting {
            let window = try ValidityDuration(parsing: expiringWithin)
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let inventory = try await Inventory.collect(ca: runtime.ca, counts: runtime.store, expiringWithin: window)
            if options.json {
                try printJSON(inventory)
                return
            }
            print("Keys live in \(inventory.custody)\n")
            print("AUTHORITIES")
            var authorities = TextTable(indent: "  ")
            for a in inventory.authorities {
                authorities.add([a.name, a.state, a.kind, "key \(a.keyLabel ?? a.keyId) (\(a.algorithm ?? "?"))", "created \(a.createdAt.iso8601)",
                                 "expires \(a.notAfter.iso8601)\(a.nextRotation.map { " rotates \($0.iso8601)" } ?? "")"])
            }
            authorities.print()
            print("\nKEYS")
            var keys = TextTable(indent: "  ")
            for k in inventory.keys {
                keys.add([k.id, k.state, k.purpose, k.algorithm, k.inToken ? "in token" : "not in token", k.label])
            }
            keys.print()
            print("\nCERTIFICATES")
            var certificates = TextTable(header: ["PROFILE", "TEAM", "STATUS", "COUNT"], indent: "  ")
            for c in inventory.certificates {
                certificates.add([c.profile, c.team ?? "-", c.status, String(c.count)])
            }
            certificates.print()
            print("\nEXPIRING WITHIN \(inventory.expiringWithin): \(inventory.expiring.count)")
            for c in inventory.expiring { print("  \(c.serial) \(c.notAfter.iso8601) \(c.subject)") }
            let consistency = inventory.consistency
            print("\nSTORE AND TOKEN: \(consistency.consistent ? "consistent" : "INCONSISTENT")")
            for k in consistency.unknownInToken { print("  unknown key in token: \(k.label) (id \(k.id), \(k.algorithm ?? "?"))") }
            for k in consistency.missingFromToken { print("  missing from token: \(k.label) (id \(k.id), \(k.state))") }
        }
    }
}
