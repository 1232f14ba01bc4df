import ArgumentParser
import Foundation
import SignetCore
import SignetRuntime
import SignetStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit trail.", subcommands: [Verify.self, Show.self, Checkpoint.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the hash chain, every signed checkpoint and the token's anchor, and the newest checkpoint's age while the server runs. Exit 7 (untrusted) with one line naming the problem.",
            discussion: """
                With the HSM PIN (SIGNET_HSM_PIN or the home's PIN file) every check is made. Without it the token is read \
                without login: checkpoint signatures and the anchor's public copy are checked, and the output says what was not.
                """)

        @OptionGroup var options: HomeOptions

        func run() async throws {
            try await runReporting {
                let home = try SignetHome.open(options.directory)
                let result = try await SignetRuntime.openAuditVerifier(home).verify()
                if options.json { try printJSON(result) }
                if let problem = result.firstProblem {
                    throw SignetError(.verificationFailed, problem.summary)
                }
                if !options.json {
                    print("Audit trail intact: \(result.entries) entries, \(result.checkpoints) signed checkpoints, last entry \(result.lastSequence).")
                    for line in Self.details(result) { print(line) }
                }
            }
        }

        /// The lines after the verdict: the newest checkpoint and its age, the anchor, what was not checked.
        static func details(_ result: AuditVerification) -> [String] {
            var lines: [String] = []
            if let newest = result.newestCheckpoint {
                var line = "Newest checkpoint: entry \(newest.sequence), signed \(newest.time.iso8601)"
                if let age = result.checkpointAgeSeconds { line += ", \(Self.age(age)) old" }
                if let bound = result.maxCheckpointAgeSeconds, let running = result.serverRunning {
                    line += running ? " (bound \(ValidityDuration(seconds: bound)) while `signet serve` runs; it does)" : " (no `signet serve` runs on this home, so its age is not bounded)"
                }
                lines.append(line + ".")
            }
            if let anchor = result.anchor {
                lines.append("Token anchor (\(anchor.copy) copy): entry \(anchor.sequence), signed \(anchor.time.iso8601)"
                             + (anchor.oneBehind ? ", one checkpoint behind the database (an interrupted checkpoint; the next one catches it up)." : ", matches the database."))
            }
            lines.append(result.checkedWithPIN ? "Checked with the HSM PIN." : "Checked without the HSM PIN.")
            for item in result.notChecked { lines.append("Not checked: \(item).") }
            return lines
        }

        static func age(_ seconds: Double) -> String {
            seconds < 120 ? "\(Int(seconds)) s" : seconds < 7200 ? "\(Int(seconds / 60)) min" : "\(Int(seconds / 3600)) h"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print audit entries, oldest first.")

        @OptionGroup var options: HomeOptions
        @Option(help: "Only entries from the last DURATION, e.g. 24h.") var since: String?
        @Option(help: "Only this actor.") var actor: String?
        @Option(help: "Only this action, e.g. certificate.issue.") var action: String?
        @Option(help: "Maximum entries (1-10000).") var limit: Int = 1000

        func run() async throws {
            try await runReporting {
                // Checked by the API's own parser, before the home is opened.
                let given: [(name: String, value: String?)] = [("since", since), ("actor", actor), ("action", action), ("limit", String(limit))]
                let query = try AuditQuery(parameters: given.compactMap { pair in pair.value.map { (name: pair.name, value: $0) } },
                                           now: Date(), limits: 1...10_000)
                let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
                let entries = try await view.store.auditEntries(query)
                if options.json {
                    try printJSON(entries)
                    return
                }
                for entry in entries {
                    let e = entry.event
                    let details = e.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    print("\(entry.sequence)\t\(e.time.iso8601)\t\(e.actor)\(e.role.map { "(\($0))" } ?? "")\t\(e.action)\t\(e.target ?? "-")\t\(e.outcome.rawValue)\t\(details)")
                }
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint", abstract: "Sign a checkpoint over the newest entry with the HSM audit key and anchor it in the token.")
        @OptionGroup var options: HomeOptions
        @Flag(help: "Sign the newest entry again even when a checkpoint covers it, so the checkpoint's age restarts.")
        var refresh = false

        func run() async throws {
            try await runReporting {
                let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
                if let checkpoint = try await runtime.auditTrail.checkpoint(by: SignetRuntime.localOperator(), refresh: refresh) {
                    print("Checkpoint signed at entry \(checkpoint.sequence).")
                } else {
                    print("The newest entry is already covered by a checkpoint.")
                }
            }
        }
    }
}

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
            for a in inventory.authorities {
                print("  \(a.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(a.state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(a.kind.padding(toLength: 13, withPad: " ", startingAt: 0)) key \(a.keyLabel ?? a.keyId) (\(a.algorithm ?? "?")) created \(a.createdAt.iso8601) expires \(a.notAfter.iso8601)\(a.nextRotation.map { " rotates \($0.iso8601)" } ?? "")")
            }
            print("\nKEYS")
            for k in inventory.keys {
                print("  \(k.id) \(k.state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(k.purpose.padding(toLength: 12, withPad: " ", startingAt: 0)) \(k.algorithm.padding(toLength: 8, withPad: " ", startingAt: 0)) \(k.inToken ? "in token " : "not in token") \(k.label)")
            }
            print("\nCERTIFICATES")
            for c in inventory.certificates {
                print("  \(c.profile.padding(toLength: 20, withPad: " ", startingAt: 0)) team \((c.team ?? "-").padding(toLength: 12, withPad: " ", startingAt: 0)) \(c.status.padding(toLength: 8, withPad: " ", startingAt: 0)) \(c.count)")
            }
            print("\nEXPIRING WITHIN \(inventory.expiringWithin): \(inventory.expiring.count)")
            for c in inventory.expiring { print("  \(c.serial) \(c.notAfter.iso8601) \(c.subject)") }
            let consistency = inventory.consistency
            print("\nSTORE AND TOKEN: \(consistency.consistent ? "consistent" : "INCONSISTENT")")
            for k in consistency.unknownInToken { print("  unknown key in token: \(k.label) (id \(k.id), \(k.algorithm ?? "?"))") }
            for k in consistency.missingFromToken { print("  missing from token: \(k.label) (id \(k.id), \(k.state))") }
        }
    }
}

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
