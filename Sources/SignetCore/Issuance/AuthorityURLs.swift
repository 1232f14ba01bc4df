/// The public URLs that go into certificates, all under `base_url` (DESIGN.md "HTTP contract"):
/// `/ca/<name>.crt` (AIA caIssuers), `/crl/<name>.crl` (CDP) and `/ocsp` (AIA OCSP).
public struct AuthorityURLs: Sendable, Hashable {
    public let baseURL: String

    public init(baseURL: String) throws {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"), trimmed.count > 8 else {
            throw SignetError.configuration("base_url must be an http:// or https:// URL, got '\(baseURL)'")
        }
        self.baseURL = trimmed
    }

    public func caCertificate(_ authority: String) -> String { "\(baseURL)/ca/\(authority).crt" }
    public func crl(_ authority: String) -> String { "\(baseURL)/crl/\(authority).crl" }
    public var ocsp: String { "\(baseURL)/ocsp" }
    public var tsa: String { "\(baseURL)/tsa" }
}
