import Foundation
import SignetClient
import SignetRuntime

/// Where the Signet server is for `release-key` and `sign`, which run on a CA host as well as on a CI
/// runner: `--url`, else `$SIGNET_URL`, else the home's base_url, else what `signet ca bootstrap`
/// stored; with the bootstrapped root as the trust for HTTPS and timestamps. The client commands'
/// own resolution (``ClientContext``) does the rest, so a damaged client configuration is an error
/// here too rather than silently trusting less.
enum ServerURL {
    static func resolve(_ explicit: String?, home: String) throws -> ClientContext {
        let environment = ProcessInfo.processInfo.environment
        var base = explicit ?? environment["SIGNET_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if base == nil, let opened = try? SignetHome.open(home) { base = opened.config.baseURL }
        return try ClientContext.resolve(url: base, tokenFile: nil, rootFile: nil, environment: environment)
    }
}
