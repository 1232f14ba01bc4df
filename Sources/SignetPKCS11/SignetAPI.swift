#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The two calls the module makes to Signet: list the usable release keys (`GET /api/v1/keys`) and sign
/// a digest with one (`POST /api/v1/keys/<id>/sign`). Errors come back as ``SignetFailure``.
public struct SignetAPI: Sendable {
    public let configuration: ModuleConfiguration
    let transport: CurlTransport
    let readFile: @Sendable (String) throws -> [UInt8]
    /// The job's ID token, when the credential is GitHub Actions'.
    let gitHubIDTokens: GitHubIDTokenCache?

    public init(configuration: ModuleConfiguration, readFile: @escaping @Sendable (String) throws -> [UInt8]) {
        self.configuration = configuration
        self.transport = CurlTransport(rootFile: configuration.rootFile, timeoutSeconds: configuration.timeoutSeconds)
        self.readFile = readFile
        if case .gitHubActions(let request) = configuration.bearer {
            gitHubIDTokens = GitHubIDTokenCache(request: request, timeoutSeconds: configuration.timeoutSeconds)
        } else {
            gitHubIDTokens = nil
        }
    }

    /// The bearer for the next request, from wherever the configuration says it comes.
    func bearer() throws(SignetFailure) -> String {
        if let gitHubIDTokens { return try gitHubIDTokens.token() }
        do {
            return try configuration.bearer.bearer(readFile: readFile)
        } catch {
            throw .credential(error.message)
        }
    }

    public func listKeys() throws(SignetFailure) -> KeyListing {
        var path = "/api/v1/keys"
        if let release = configuration.release { path += "?release=" + Self.percentEncoded(release) }
        let response = try send("GET", path, body: nil)
        do {
            return try KeyListing.decode(response)
        } catch {
            throw .unexpected(error.message)
        }
    }

    struct SignBody: Encodable {
        let digest: String
        let algorithm: String
    }

    struct SignedBody: Decodable {
        let signature: String
    }

    /// Signet's signature over `request.digest` with key `keyID` (DER for EC keys, the octets for RSA).
    public func sign(keyID: String, _ request: RemoteSignatureRequest) throws(SignetFailure) -> [UInt8] {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(SignBody(digest: Data(request.digest).base64EncodedString(), algorithm: request.algorithm.name)))
        } catch {
            throw .unexpected("cannot encode the request: \(error)")
        }
        let response = try send("POST", "/api/v1/keys/\(Self.percentEncoded(keyID))/sign", body: body)
        guard let signed = try? JSONDecoder().decode(SignedBody.self, from: Data(response)),
              let signature = Data(base64Encoded: signed.signature), !signature.isEmpty else {
            throw .unexpected("expected {\"signature\": <base64>} from the signing API")
        }
        return Array(signature)
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String?
            let message: String?
        }
        let error: Detail
    }

    /// One request with the bearer; a 2xx answer's body, or the refusal Signet described.
    func send(_ method: String, _ path: String, body: [UInt8]?) throws(SignetFailure) -> [UInt8] {
        let bearer = try bearer()
        var headers = ["Authorization: Bearer \(bearer)", "Accept: application/json"]
        if body != nil { headers.append("Content-Type: application/json") }
        let response = try transport.perform(method, configuration.baseURL + path, headers: headers, body: body)
        guard (200..<300).contains(response.status) else {
            let detail = (try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)))?.error
            throw .refused(status: response.status, code: detail?.code, message: detail?.message ?? "HTTP \(response.status) without an error body")
        }
        return response.body
    }

    /// `text` with everything but RFC 3986 unreserved characters percent-encoded (release names may
    /// hold `+`, which a query would read as a space).
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
