/// Everything the module needs to reach Signet: where it is, the credential, the root that vouches for
/// its TLS certificate, and optionally the one release whose key the token shows.
///
/// Read at C_Initialize from the environment: the file named by `SIGNET_PKCS11_CONFIG` (see
/// ``ConfigFile``) first, then `SIGNET_URL` and `SIGNET_TOKEN` for what the file leaves unset. A file
/// is named on purpose for this module, so it wins over ambient variables that other tools (the
/// `signet` CLI) also read.
public struct ModuleConfiguration: Sendable, Equatable {
    /// Signet's base URL, http or https, without a trailing slash.
    public var baseURL: String
    public var bearer: BearerSource
    /// PEM file of the CA certificates that verify Signet's TLS certificate (`root`); without it, the
    /// system's trust store does.
    public var rootFile: String?
    /// Only this release's key is shown (`release`).
    public var release: String?
    /// Seconds one call to Signet may take, connection included (`timeout`, default 30).
    public var timeoutSeconds: Int
    /// `SIGNET_PKCS11_DEBUG=1`: say on stderr why a call failed.
    public var debug: Bool

    public static let defaultTimeout = 30

    public init(baseURL: String, bearer: BearerSource, rootFile: String? = nil, release: String? = nil,
                timeoutSeconds: Int = defaultTimeout, debug: Bool = false) {
        self.baseURL = baseURL
        self.bearer = bearer
        self.rootFile = rootFile
        self.release = release
        self.timeoutSeconds = timeoutSeconds
        self.debug = debug
    }

    /// The configuration `environment` describes; files are read through `readFile`.
    public static func load(environment: [String: String], readFile: (String) throws -> [UInt8]) throws(ConfigurationError) -> ModuleConfiguration {
        let debug = ["1", "true", "yes"].contains(environment["SIGNET_PKCS11_DEBUG"]?.lowercased() ?? "")
        var file = ConfigFile(values: [:])
        var source = "the environment"
        if let path = environment["SIGNET_PKCS11_CONFIG"], !path.isEmpty {
            let bytes: [UInt8]
            do {
                bytes = try readFile(path)
            } catch {
                throw ConfigurationError("SIGNET_PKCS11_CONFIG=\(path): cannot be read (\(error))")
            }
            file = try ConfigFile.parse(bytes, name: path)
            source = path
        }
        let values = file.values

        guard let url = values["url"] ?? environment["SIGNET_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ConfigurationError("No Signet URL: set SIGNET_URL, or url in the file named by SIGNET_PKCS11_CONFIG")
        }
        let baseURL = try validateURL(url)

        let bearer = try credential(values: values, environment: environment, source: source)

        var rootFile: String?
        if let root = values["root"] {
            let bytes: [UInt8]
            do {
                bytes = try readFile(root)
            } catch {
                throw ConfigurationError("\(source): root \(root) cannot be read (\(error))")
            }
            guard bytes.count <= 4 * 1024 * 1024, bytes.containsSubsequence(Array("-----BEGIN CERTIFICATE-----".utf8)) else {
                throw ConfigurationError("\(source): root \(root) is not a PEM file of CA certificates")
            }
            rootFile = root
        }

        if let release = values["release"] {
            guard isReleaseName(release) else {
                throw ConfigurationError("\(source): expected a release name of 1-128 characters [A-Za-z0-9._+-] starting with a letter or digit, got '\(ConfigFile.excerpt(release))'")
            }
        }

        var timeout = defaultTimeout
        if let text = values["timeout"] {
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw ConfigurationError("\(source): expected timeout in whole seconds from 1 to 600, got '\(ConfigFile.excerpt(text))'")
            }
            timeout = seconds
        }
        return ModuleConfiguration(baseURL: baseURL, bearer: bearer, rootFile: rootFile, release: values["release"], timeoutSeconds: timeout, debug: debug)
    }

    /// The one credential to send: what the file names (at most one of token, token_file, id_token_file),
    /// else SIGNET_TOKEN, else SIGNET_ID_TOKEN, else GitHub Actions' ID token request variables. A Signet
    /// token named on purpose wins over an identity the job merely has.
    static func credential(values: [String: String], environment: [String: String], source: String) throws(ConfigurationError) -> BearerSource {
        func set(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let named = ["token", "token_file", "id_token_file"].filter { values[$0] != nil }
        guard named.count <= 1 else {
            throw ConfigurationError("\(source): set one of token, token_file or id_token_file, not \(named.joined(separator: " and "))")
        }
        if let token = values["token"] {
            try BearerSource.validate(token, what: "\(source): token")
            return .token(token)
        }
        if let path = values["token_file"] { return .tokenFile(path) }
        if let path = values["id_token_file"] { return .idTokenFile(path) }
        if let token = set("SIGNET_TOKEN") {
            try BearerSource.validate(token, what: "SIGNET_TOKEN")
            return .token(token)
        }
        if let token = set("SIGNET_ID_TOKEN") {
            try BearerSource.validate(token, what: "SIGNET_ID_TOKEN")
            return .idToken(token)
        }
        if let url = set("ACTIONS_ID_TOKEN_REQUEST_URL"), let requestToken = set("ACTIONS_ID_TOKEN_REQUEST_TOKEN") {
            let audience = values["audience"] ?? set("SIGNET_OIDC_AUDIENCE") ?? GitHubIDTokenRequest.defaultAudience
            return .gitHubActions(try GitHubIDTokenRequest(url: url, requestToken: requestToken, audience: audience))
        }
        throw ConfigurationError("No credential: set SIGNET_TOKEN (a ci token) or SIGNET_ID_TOKEN (the job's OIDC ID token), run in a GitHub Actions job "
            + "with id-token: write, or set token, token_file or id_token_file in the file named by SIGNET_PKCS11_CONFIG")
    }

    /// `url` as a base URL: http or https, a host, no query or fragment, no trailing slash.
    static func validateURL(_ url: String) throws(ConfigurationError) -> String {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw ConfigurationError("Expected the Signet URL to start with http:// or https://, got '\(ConfigFile.excerpt(url))'")
        }
        guard url.utf8.count <= 2048, url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }),
              !url.contains("?"), !url.contains("#") else {
            throw ConfigurationError("Expected the Signet URL to be a base URL without blanks, query or fragment, got '\(ConfigFile.excerpt(url))'")
        }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        let afterScheme = base.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard afterScheme.count >= 3, !afterScheme[2].isEmpty else {
            throw ConfigurationError("Expected the Signet URL to name a host, got '\(ConfigFile.excerpt(url))'")
        }
        return base
    }

    /// Signet's rule for release names (letters, digits, `.`, `_`, `-`, `+`; 1-128; alphanumeric first).
    static func isReleaseName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 128 else { return false }
        func alphanumeric(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) }
        return alphanumeric(first) && scalars.allSatisfy { alphanumeric($0) || "._-+".unicodeScalars.contains($0) }
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] && Array(self[start..<(start + needle.count)]) == needle {
            return true
        }
        return false
    }
}
