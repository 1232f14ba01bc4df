/// What a GitHub Actions job needs to ask its runner for an OIDC ID token: the request URL and request
/// token the runner puts in the job's environment (`ACTIONS_ID_TOKEN_REQUEST_URL`,
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, present when the workflow grants `id-token: write`) and the
/// audience Signet expects (`audience` in the file, else `SIGNET_OIDC_AUDIENCE`, else `signet`).
public struct GitHubIDTokenRequest: Sendable, Equatable {
    /// The audience Signet's CI identity configuration expects unless told otherwise.
    public static let defaultAudience = "signet"

    public let url: String
    public let requestToken: String
    public let audience: String

    public init(url: String, requestToken: String, audience: String) throws(ConfigurationError) {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://"), url.utf8.count <= 4096,
              url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }), !url.contains("#") else {
            throw ConfigurationError("ACTIONS_ID_TOKEN_REQUEST_URL: expected an http(s) URL without blanks, got '\(ConfigFile.excerpt(url))'")
        }
        try BearerSource.validate(requestToken, what: "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        guard (1...256).contains(audience.utf8.count), audience.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw ConfigurationError("Expected the OIDC audience to be 1-256 printable characters without blanks, got '\(ConfigFile.excerpt(audience))'")
        }
        self.url = url
        self.requestToken = requestToken
        self.audience = audience
    }

    /// The request URL with the audience added (GitHub's URL already carries a query).
    public var urlWithAudience: String {
        url + (url.contains("?") ? "&" : "?") + "audience=" + SignetAPI.percentEncoded(audience)
    }
}
