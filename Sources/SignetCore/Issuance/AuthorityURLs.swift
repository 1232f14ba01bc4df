/// The public URLs that go into certificates, all under `base_url` (DESIGN.md "HTTP contract"):
/// `/ca/<name>.crt` (AIA caIssuers), `/crl/<name>.crl` (CDP) and `/ocsp` (AIA OCSP).
public struct AuthorityURLs: Sendable, Hashable {
    public let baseURL: String

    public init(baseURL: String) throws {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        // The URLs go into certificates as IA5String URIs (RFC 5280 §4.2.2.1): printable ASCII, no spaces.
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"), trimmed.count > 8,
              trimmed.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw SignetError.configuration("base_url must be an http:// or https:// URL of printable ASCII, got \(SignetError.quote(baseURL))")
        }
        self.baseURL = trimmed
    }

    public func caCertificate(_ authority: String) -> String { "\(baseURL)/ca/\(authority).crt" }
    public func crl(_ authority: String) -> String { "\(baseURL)/crl/\(authority).crl" }
    public var ocsp: String { "\(baseURL)/ocsp" }
    public var tsa: String { "\(baseURL)/tsa" }
}
