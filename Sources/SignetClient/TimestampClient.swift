import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SignetCore
import SignetWire
import SwiftASN1
import X509

/// The RFC 3161 client behind `signet timestamp` and `signet sign --timestamp`: builds a query with
/// a fresh nonce for a digest, posts it to a TSA (RFC 3161 §3.4) and verifies the reply against the
/// given roots before anything is written.
public enum TimestampClient {
    /// A verified reply: the TimeStampResp as received, its TSTInfo, the token and the TSA's certificate.
    public struct Result: Sendable {
        public let reply: [UInt8]
        public let info: TSTInfo
        public let token: ContentInfo
        public let signer: Certificate
    }

    /// The certificates in a PEM file (the roots a timestamp is checked against).
    public static func certificates(pem text: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
    }

    public static func timestamp(digest: [UInt8], algorithm: DigestAlgorithm, tsa: String, roots: [Certificate]) async throws -> Result {
        var nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        nonce[0] |= 0x01
        nonce[0] &= 0x7f
        let query = try TimeStampReq(
            messageImprint: try MessageImprint(hashAlgorithm: SignetWire.AlgorithmIdentifier(algorithm: algorithm.oid), hashedMessage: digest),
            nonce: nonce, certReq: true).derBytes()
        guard let url = URL(string: tsa) else { throw SignetError.malformed("Expected a TSA URL, got \(tsa)") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/timestamp-query", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(query)
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw SignetError(.unreachable, "Cannot reach the TSA at \(tsa): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            throw SignetError(status == 429 || status >= 500 ? .unreachable : .internalError, "The TSA at \(tsa) answered HTTP \(status)")
        }
        let reply = Array(data)
        let verified = try TimestampVerifier.verify(response: reply, imprint: digest, digest: algorithm, nonce: nonce, roots: roots)
        return Result(reply: reply, info: verified.info, token: verified.token, signer: verified.signer)
    }
}
