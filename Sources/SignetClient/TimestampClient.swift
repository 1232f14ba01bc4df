import Foundation
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

    public static func timestamp(digest: [UInt8], algorithm: DigestAlgorithm, tsa: String, roots: [Certificate], trust: TLSTrust = .system) async throws -> Result {
        var nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        nonce[0] |= 0x01
        nonce[0] &= 0x7f
        let query = try TimeStampReq(
            messageImprint: try MessageImprint(hashAlgorithm: SignetWire.AlgorithmIdentifier(algorithm: algorithm.oid), hashedMessage: digest),
            nonce: nonce, certReq: true).derBytes()
        let response = try await HTTPTransport(trust: trust).send(.POST, tsa, headers: [("Content-Type", "application/timestamp-query")], body: query)
        guard response.status == 200 else {
            throw SignetError(response.status == 429 || response.status >= 500 ? .unreachable : .internalError, "The TSA at \(tsa) answered HTTP \(response.status)")
        }
        let verified = try TimestampVerifier.verify(response: response.body, imprint: digest, digest: algorithm, nonce: nonce, roots: roots)
        return Result(reply: response.body, info: verified.info, token: verified.token, signer: verified.signer)
    }
}
