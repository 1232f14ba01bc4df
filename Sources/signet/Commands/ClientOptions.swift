import ArgumentParser
import Foundation
import SignetClient

/// Options of the commands that talk to a Signet server from anywhere (a laptop, a CI runner): no CA
/// home and no HSM PIN, only a URL, a token and the root to trust.
struct ClientOptions: ParsableArguments {
    @Option(help: "Signet's URL (default: $SIGNET_URL, else the URL given to `signet ca bootstrap`).")
    var url: String?

    @Option(name: .customLong("token-file"), help: "File holding the API token, - for standard input (default: $SIGNET_TOKEN).")
    var tokenFile: String?

    @Option(name: .customLong("token"), help: ArgumentHelp("Refused: tokens are never taken from arguments.", visibility: .hidden))
    var tokenArgument: String?

    @Option(help: "PEM file of the root(s) to trust for HTTPS and for what Signet returns (default: the bootstrapped root).")
    var root: String?

    @Option(name: .customLong("id-token-file"), help: "File holding the CI job's OIDC ID token (default: $SIGNET_ID_TOKEN, else GitHub Actions' token service), used when no Signet token is given.")
    var idTokenFile: String?

    func validate() throws {
        if tokenArgument != nil {
            throw ValidationError("Tokens are never taken from arguments (they end up in shell history and ps): set SIGNET_TOKEN or pass --token-file FILE")
        }
    }

    /// Whether the caller pointed this command at a server (a URL or a token), rather than at a CA home.
    var remote: Bool {
        url != nil || tokenFile != nil || ProcessInfo.processInfo.environment["SIGNET_TOKEN"].map { !$0.isEmpty } == true
            || CIJobToken.discover(idTokenFile: idTokenFile, environment: ProcessInfo.processInfo.environment) != nil
    }

    /// The resolved context; without a Signet token, the CI job's ID token exchanged for one.
    func context() async throws -> ClientContext {
        let environment = ProcessInfo.processInfo.environment
        return try await ClientContext.resolve(url: url, tokenFile: tokenFile, rootFile: root, environment: environment)
            .withCIJobToken(idTokenFile: idTokenFile, environment: environment)
    }
}
