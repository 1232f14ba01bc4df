/// How the module obtains the bearer it sends to Signet. One place decides, so another credential (a
/// CI job's OIDC ID token exchanged for a short-lived Signet token) is one more case here, not a change
/// to the calls that use it.
public enum BearerSource: Sendable, Equatable, CustomStringConvertible {
    /// A Signet API token given directly (`SIGNET_TOKEN`, or `token` in the file).
    case token(String)
    /// A file holding the token, read for every request so a token rotated on disk is picked up
    /// (`token_file` in the file).
    case tokenFile(String)
    /// A CI job's OIDC ID token given directly (`SIGNET_ID_TOKEN`, as GitLab's `id_tokens:` provide it):
    /// Signet takes it as the bearer and finds the job's team in its CI identity policy, so the job holds
    /// no stored Signet secret.
    case idToken(String)
    /// A file the CI system writes the job's ID token to (`id_token_file`), read for every request.
    case idTokenFile(String)
    /// GitHub Actions: the job's ID token, asked of the runner's token endpoint for Signet's audience
    /// (`ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`; see ``GitHubIDTokenCache``).
    case gitHubActions(GitHubIDTokenRequest)

    /// The bearer for the next request.
    public func bearer(readFile: (String) throws -> [UInt8]) throws(ConfigurationError) -> String {
        switch self {
        case .token(let token), .idToken(let token):
            return token
        case .tokenFile(let path):
            return try Self.read(path, what: "token_file", readFile: readFile)
        case .idTokenFile(let path):
            return try Self.read(path, what: "id_token_file", readFile: readFile)
        case .gitHubActions:
            // Not a file or a value: SignetAPI asks GitHub through its GitHubIDTokenCache.
            throw ConfigurationError("GitHub Actions' ID token is requested from the runner, not read")
        }
    }

    /// The first line of the file at `path`, trimmed, as a bearer.
    static func read(_ path: String, what: String, readFile: (String) throws -> [UInt8]) throws(ConfigurationError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw ConfigurationError("\(what) \(path): cannot be read (\(error))")
        }
        guard bytes.count <= BearerSource.maximumLength, let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError("\(what) \(path): expected a token of at most \(BearerSource.maximumLength) bytes of text")
        }
        let token = ConfigFile.trimmed(ConfigFile.lines(text).first ?? "")
        try BearerSource.validate(token, what: "\(what) \(path)")
        return token
    }

    /// Longer than any Signet or OIDC token.
    public static let maximumLength = 16 * 1024

    /// A bearer must fit in one HTTP header line.
    static func validate(_ token: String, what: String) throws(ConfigurationError) {
        guard !token.isEmpty else { throw ConfigurationError("\(what): expected a token, got an empty value") }
        guard token.utf8.count <= maximumLength else { throw ConfigurationError("\(what): expected a token of at most \(maximumLength) bytes") }
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw ConfigurationError("\(what): expected a token of printable ASCII without blanks")
        }
    }

    /// Says where the credential comes from, never what it is.
    public var description: String {
        switch self {
        case .token: return "a token"
        case .tokenFile(let path): return "the token in \(path)"
        case .idToken: return "the job's ID token (SIGNET_ID_TOKEN)"
        case .idTokenFile(let path): return "the job's ID token in \(path)"
        case .gitHubActions(let request): return "GitHub Actions' ID token for audience \(request.audience)"
        }
    }
}
