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

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign FILE through Signet with the release's HSM key: writes a detached CMS signature (DER). Needs SIGNET_TOKEN (a ci token) or the CI job's OIDC ID token.")

    @OptionGroup var options: HomeOptions

    @Option(help: "Release whose key signs.")
    var release: String

    @Option(name: .customLong("in"), help: "File to sign.")
    var input: String

    @Option(help: "Where to write the detached CMS SignedData (DER), e.g. FILE.p7s.")
    var out: String

    @Flag(help: "Add an RFC 3161 timestamp from Signet's TSA as an unsigned attribute.")
    var timestamp = false

    @Option(help: "Signet URL (default: $SIGNET_URL, else base_url of the home).")
    var url: String?

    @Option(name: .customLong("ca-file"), help: "PEM roots to verify the timestamp against (default: the bootstrapped root, else the root in the chain Signet returns).")
    var caFile: String?

    @Option(name: .customLong("id-token-file"), help: "File holding the CI job's OIDC ID token (default: $SIGNET_ID_TOKEN, else GitHub Actions' token service).")
    var idTokenFile: String?

    func run() async throws {
        try await runReporting(json: options.json) {
            let server = try ServerURL.resolve(url, home: options.directory)
            guard let token = try await CIJobToken.signetToken(url: server.url, trust: server.trust, environment: ProcessInfo.processInfo.environment,
                                                               idTokenFile: idTokenFile) else {
                throw SignetError(.unauthenticated, "Set SIGNET_TOKEN to a ci token, or run in a CI job with an OIDC ID token (--id-token-file, SIGNET_ID_TOKEN, "
                    + "or GitHub Actions with id-token: write); tokens are never taken from arguments")
            }
            let api = try APIClient(base: server.url, token: token, trust: server.trust)
            let content = try readFile(input, what: "file")
            // --ca-file roots check the timestamp; without it the bootstrapped root, else the root in the chain Signet returns.
            let roots = try caFile.map { try TimestampClient.certificates(pem: String(decoding: try readFile($0, what: "CA file"), as: UTF8.self)) } ?? server.roots
            let signed = try await ReleaseSigner(api: api).sign(content, release: release, timestampRoots: timestamp ? roots : nil)
            try AtomicFile.write(signed.der, to: out)
            if options.json {
                try printJSON(Signed(out: out, release: release, keyId: signed.keyID, certificateSerial: signed.certificateSerial, timestamped: signed.timestamped))
            } else {
                print("Signed \(input) with release \(release) key \(signed.keyID)\(timestamp ? " (timestamped)" : ""): \(out)")
            }
        }
    }

    /// `signet sign --json`.
    struct Signed: Encodable {
        let out: String
        let release: String
        let keyId: String
        let certificateSerial: String
        let timestamped: Bool
    }
}
