import ArgumentParser
import Foundation
import Logging
import SignetCore
import SignetRuntime
import SignetServer

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API bearer tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token; prints it once (only its hash is stored).")

        @OptionGroup var options: HomeOptions

        @Option(help: "developer, ci, admin or auditor.")
        var role: String

        @Option(help: "Team (required for developer and ci).")
        var team: String?

        @Option(help: "Name recorded as the requester of certificates issued with this token.")
        var name: String?

        @Option(help: "Lifetime, e.g. 30d or 12h, or 'never' for a token that does not expire (default: \(TokenLifetime.standard)).")
        var expires: String?

        func run() async throws {
            try await runReporting {
                guard let role = Role(rawValue: role) else {
                    throw SignetError.malformed("Unknown role '\(self.role)'; use developer, ci, admin or auditor")
                }
                let lifetime = try TokenLifetime(parsing: expires)
                let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
                let tokens = APITokens(repository: view.store, clock: view.clock)
                let (token, record) = try await tokens.create(
                    role: role, team: team, name: name, lifetime: lifetime, by: SignetRuntime.localOperator())
                if options.json {
                    // Absent values are null: a token without a team, or one that never expires.
                    try printJSON(["id": record.id, "token": token, "name": record.name, "role": record.role.rawValue, "team": record.team,
                                   "expires_at": record.expiresAt?.iso8601] as [String: String?])
                } else {
                    // The token alone on stdout, so scripts can capture it; when it expires on stderr.
                    print(token)
                    if let expiry = record.expiresAt {
                        let note = expires == nil ? " (the default \(TokenLifetime.standard); --expires DURATION or --expires never for another)" : ""
                        FileHandle.standardError.write(Data("Token \(record.id) expires at \(expiry.iso8601)\(note)\n".utf8))
                    } else {
                        FileHandle.standardError.write(Data("Token \(record.id) never expires; revoke it with `signet token revoke \(record.id)`\n".utf8))
                    }
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")
        @OptionGroup var options: HomeOptions

        func run() async throws {
            try await runReporting {
                let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
                let records = try await view.store.tokens()
                if options.json {
                    try printJSON(records.map { ["id": $0.id, "name": $0.name, "role": $0.role.rawValue, "team": $0.team,
                                                 "expires_at": $0.expiresAt?.iso8601, "revoked_at": $0.revokedAt?.iso8601] as [String: String?] })
                } else {
                    var table = TextTable()
                    for r in records {
                        let state = r.revokedAt != nil ? "revoked" : (r.isUsable(at: view.clock.now()) ? "active" : "expired")
                        table.add([r.id, state, r.role.rawValue, r.team ?? "-", r.name])
                    }
                    table.print()
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id.")
        @OptionGroup var options: HomeOptions
        @Argument(help: "Token id (the 8 hex characters after sgt_).") var id: String

        func run() async throws {
            try await runReporting {
                let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
                let record = try await APITokens(repository: view.store, clock: view.clock).revoke(id: id, by: SignetRuntime.localOperator())
                if options.json {
                    try printJSON(["id": record.id, "name": record.name, "revoked_at": record.revokedAt?.iso8601] as [String: String?])
                } else {
                    print("Revoked token \(record.id) (\(record.name))")
                }
            }
        }
    }
}
