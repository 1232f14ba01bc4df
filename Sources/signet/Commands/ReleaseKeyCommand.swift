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

struct ReleaseKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release-key",
        abstract: "The release's HSM-held key and certificate (created on first use); prints key id and certificate.",
        discussion: """
            With SIGNET_TOKEN set (a ci token), or in a CI job with an OIDC ID token (--id-token-file, SIGNET_ID_TOKEN, \
            or GitHub Actions' id-token permission), asks the Signet server (--url, $SIGNET_URL or the home's base_url); \
            the team comes from the token. Without either, works on the local home and needs --team.
            """)

    @OptionGroup var options: HomeOptions

    @Option(help: "Release name.")
    var release: String

    @Option(help: "Team the release belongs to (local mode only; over the API the token's team is used).")
    var team: String?

    @Flag(help: "Create a new key even if the release has one.")
    var rotate = false

    @Option(help: "Signet URL for API mode (default: $SIGNET_URL, else base_url of the home).")
    var url: String?

    @Option(name: .customLong("id-token-file"), help: "File holding the CI job's OIDC ID token (default: $SIGNET_ID_TOKEN, else GitHub Actions' token service).")
    var idTokenFile: String?

    func run() async throws {
        try await runReporting {
            let environment = ProcessInfo.processInfo.environment
            if (environment["SIGNET_TOKEN"].map { !$0.isEmpty } ?? false) || CIJobToken.discover(idTokenFile: idTokenFile, environment: environment) != nil {
                let server = try ServerURL.resolve(url, home: options.directory)
                guard let token = try await CIJobToken.signetToken(url: server.url, trust: server.trust, environment: environment, idTokenFile: idTokenFile) else {
                    throw SignetError(.unauthenticated, "Set SIGNET_TOKEN or give the job's ID token")
                }
                let api = try APIClient(base: server.url, token: token, trust: server.trust)
                let key = try await api.post("/api/v1/releases/\(release)/key\(rotate ? "?rotate=true" : "")", [:])
                if options.json {
                    try printJSONObject(key)
                } else {
                    print("Key \(key["key_id"] ?? "?") for release \(release) (team \(key["team"] ?? "?")), certificate \(key["serial"] ?? "?") valid until \(key["not_after"] ?? "?")")
                    print(key["certificate"] as? String ?? "")
                }
                return
            }
            guard let team else { throw SignetError.malformed("Pass --team TEAM, or set SIGNET_TOKEN to ask the server with a ci token") }
            try NameRules.validateTeam(team)
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let principal = Principal(name: SignetRuntime.localOperator().name, role: .admin, team: team)
            let (key, created) = try await ReleaseSigning(ca: runtime.ca).key(release: release, by: principal, rotate: rotate)
            if options.json {
                try printJSON(["key_id": key.key.id, "release": release, "team": team, "serial": key.certificate.serial, "created": "\(created)",
                               "certificate": PEM.encode(key.certificateValue.derBytes), "not_after": key.certificate.notAfter.iso8601])
            } else {
                print("\(created ? "Created" : "Existing") key \(key.key.id) for release \(release) (team \(team)), certificate \(key.certificate.serial) valid until \(key.certificate.notAfter.iso8601)")
                print(PEM.encode(key.certificateValue.derBytes))
            }
        }
    }
}
