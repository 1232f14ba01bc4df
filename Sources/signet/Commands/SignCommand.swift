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
