import Foundation
import SignetCore
import X509

/// Where a client command's Signet is, who it is talking as, and why it believes the answers: the URL,
/// the token and the trusted roots, resolved once from flags, the environment and the bootstrapped
/// configuration, in that order. Needs no CA home and no HSM PIN.
public struct ClientContext: Sendable {
    /// The server's base URL (`--url`, else `SIGNET_URL`, else the bootstrapped one).
    public let url: String
    /// The API token (`--token-file`, else `SIGNET_TOKEN`); never from an argument.
    public let token: String?
    /// The roots TLS and returned chains must lead to (`--root FILE`, else the bootstrapped root).
    public let roots: [Certificate]
    /// Where the roots came from, for messages.
    public let rootsSource: String?

    public init(url: String, token: String?, roots: [Certificate], rootsSource: String?) {
        self.url = url
        self.token = token
        self.roots = roots
        self.rootsSource = rootsSource
    }

    public static func resolve(url: String?, tokenFile: String?, rootFile: String?, environment: [String: String]) throws -> ClientContext {
        let configurationPath = try? ClientConfiguration.path(environment: environment)
        let configuration = try configurationPath.flatMap { try ClientConfiguration.load(from: $0) }
        guard let base = url ?? environment["SIGNET_URL"].flatMap({ $0.isEmpty ? nil : $0 }) ?? configuration?.url else {
            throw SignetError.malformed("No Signet URL: pass --url, set SIGNET_URL, or run `signet ca bootstrap --url URL --fingerprint SHA256` once")
        }
        var token: String? = nil
        if let tokenFile {
            let bytes = try readInput(tokenFile, what: "token file")
            token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token?.isEmpty == false else { throw SignetError.malformed("\(tokenFile) holds no token") }
        } else if let fromEnvironment = environment["SIGNET_TOKEN"], !fromEnvironment.isEmpty {
            token = fromEnvironment
        }
        if let rootFile {
            let text = String(decoding: try readInput(rootFile, what: "root file"), as: UTF8.self)
            let roots: [Certificate]
            do { roots = try TimestampClient.certificates(pem: text) } catch {
                throw SignetError.malformed("Expected PEM certificates in \(rootFile): \(error)")
            }
            guard !roots.isEmpty else { throw SignetError.malformed("Expected PEM certificates in \(rootFile), found none") }
            return ClientContext(url: try AuthorityURLs(baseURL: base).baseURL, token: token, roots: roots, rootsSource: rootFile)
        }
        return ClientContext(url: try AuthorityURLs(baseURL: base).baseURL, token: token, roots: configuration.map { [$0.root] } ?? [],
                             rootsSource: configuration == nil ? nil : "the root bootstrapped in \(configurationPath ?? "the client configuration")")
    }

    /// This context, with a token from the CI job's OIDC ID token when it has none of its own
    /// (``CIJobToken``: `--id-token-file`, `SIGNET_ID_TOKEN`, or GitHub Actions' token service),
    /// exchanged once at `POST /api/v1/auth/oidc` for a short-lived Signet token.
    public func withCIJobToken(idTokenFile: String?, environment: [String: String]) async throws -> ClientContext {
        guard token == nil || idTokenFile != nil, let source = CIJobToken.discover(idTokenFile: idTokenFile, environment: environment) else { return self }
        return ClientContext(url: url, token: try await source.exchange(at: url, trust: trust), roots: roots, rootsSource: rootsSource)
    }

    /// How HTTPS to Signet is checked: against the roots when there are any, else the system's store.
    public var trust: TLSTrust { roots.isEmpty ? .system : .roots(roots) }

    /// The token, or the error that says how to give one.
    public func requireToken() throws -> String {
        guard let token else {
            throw SignetError(.unauthenticated, "No token: set SIGNET_TOKEN or pass --token-file FILE, or run in a CI job with an OIDC ID token (SIGNET_ID_TOKEN, --id-token-file, or GitHub Actions with id-token: write); tokens are never taken from arguments")
        }
        return token
    }

    /// The roots, or the error that says how to get them.
    public func requireRoots() throws -> [Certificate] {
        guard !roots.isEmpty else {
            throw SignetError.malformed("No trusted root to check what Signet returns: run `signet ca bootstrap --url \(url) --fingerprint SHA256` or pass --root FILE")
        }
        return roots
    }

    /// An API client with this context's URL, token and trust.
    public func api() throws -> APIClient {
        try APIClient(base: url, token: try requireToken(), trust: trust)
    }

    /// A file's bytes, or stdin's for `-`.
    static func readInput(_ path: String, what: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SignetError.notFound("Cannot read \(what) \(path): no such file or not readable")
        }
        return Array(data)
    }
}
