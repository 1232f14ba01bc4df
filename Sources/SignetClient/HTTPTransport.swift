import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SignetCore
import X509

/// One HTTP exchange with Signet or its TSA, over AsyncHTTPClient: unlike Foundation's URLSession on
/// Linux it can trust a private root for HTTPS (the bootstrapped root), which Signet's clients must.
/// Failures come back as ``SignetError``s a script can branch on: `unreachable` when nothing answered,
/// `verification_failed` when the server's TLS certificate does not lead to the trusted root.
struct HTTPTransport: Sendable {
    /// What came back: the status, the headers (names matched without regard to case) and the body.
    struct Response: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    let trust: TLSTrust
    /// Bounds the whole exchange; issuance in the HSM answers in milliseconds.
    var timeout: TimeAmount = .seconds(60)
    /// Answers are JSON, PEM or DER of a few KiB; a listing of 1,000 certificates is under 1 MiB.
    static let maximumBody = 8 * 1024 * 1024

    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Response {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw SignetError.malformed("Expected an http:// or https:// URL, got '\(url)'")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "signet/\(SignetVersion.number)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }

        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: try configuration())
        let result: Result<Response, any Error>
        do {
            let response = try await client.execute(request, timeout: timeout)
            let collected = try await response.body.collect(upTo: Self.maximumBody)
            result = .success(Response(status: Int(response.status.code), headers: response.headers, body: Array(buffer: collected)))
        } catch {
            result = .failure(Self.classify(error, url: url))
        }
        try? await client.shutdown()
        return try result.get()
    }

    func configuration() throws -> HTTPClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .system:
            break
        case .roots(let roots):
            tls.trustRoots = .certificates(try roots.map { try NIOSSLCertificate(bytes: $0.derBytes, format: .der) })
        case .unverifiedForBootstrap:
            tls.certificateVerification = .none
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10), read: .seconds(60)))
        // Fail at once when nothing listens: the caller's retry policy (and the user) decide what next.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// Turns a transport failure into the error a user can act on.
    static func classify(_ error: any Error, url: String) -> SignetError {
        if let error = error as? SignetError { return error }
        let text = String(describing: error)
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
                return SignetError(.verificationFailed, "The TLS certificate of \(url) does not chain to the trusted root (the bootstrapped root or --root); is this the Signet you bootstrapped?")
            }
            return SignetError(.unreachable, "TLS with \(url) failed: \(text)")
        }
        if error is NIOTooManyBytesError {
            return SignetError.internalError("The answer from \(url) is larger than \(maximumBody) bytes; is this a Signet server?")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return SignetError(.unreachable, "Signet at \(url) did not answer in time (\(error))")
            case .bodyLengthMismatch:
                return SignetError.internalError("The answer from \(url) was cut short (\(error))")
            default:
                break
            }
        }
        return SignetError(.unreachable, "Cannot reach \(url): \(text)")
    }
}
