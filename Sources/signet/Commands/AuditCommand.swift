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
                let checkpoint = try await runtime.auditTrail.checkpoint(by: SignetRuntime.localOperator(), refresh: refresh)
                if options.json {
                    // `signed` false: the newest entry was already covered, and the fields name that checkpoint.
                    let newest: AuditCheckpoint? = if let checkpoint { checkpoint } else { try await runtime.store.newestCheckpoint() }
                    try printJSON(CheckpointOutput(signed: checkpoint != nil, sequence: newest?.sequence, time: newest?.time, keyId: newest?.keyID))
                } else if let checkpoint {
                    print("Checkpoint signed at entry \(checkpoint.sequence).")
                } else {
                    print("The newest entry is already covered by a checkpoint.")
                }
            }
        }
    }
}

/// `signet audit checkpoint --json`: whether a checkpoint was signed, and the newest one; absent fields are null.
private struct CheckpointOutput: Encodable {
    let signed: Bool
    let sequence: Int64?
    let time: Date?
    let keyId: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(signed, forKey: .signed)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(time, forKey: .time)
        try container.encode(keyId, forKey: .keyId)
    }

    private enum CodingKeys: String, CodingKey { case signed, sequence, time, keyId }
}
