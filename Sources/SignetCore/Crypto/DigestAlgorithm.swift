import Crypto
import Foundation
import SwiftASN1

/// Hash functions Signet computes in software before handing a digest to the token
/// ("hash in software, sign the digest in the token").
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case sha256
    case sha384
    case sha512

    /// Output length in octets; a digest of any other length is refused before it reaches the HSM.
    public var outputLength: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    /// NIST hash algorithm OIDs (RFC 5758 §2).
    public var oid: ASN1ObjectIdentifier {
        switch self {
        case .sha256: return [2, 16, 840, 1, 101, 3, 4, 2, 1]
        case .sha384: return [2, 16, 840, 1, 101, 3, 4, 2, 2]
        case .sha512: return [2, 16, 840, 1, 101, 3, 4, 2, 3]
        }
    }

    public init?(oid: ASN1ObjectIdentifier) {
        guard let match = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = match
    }

    public func hash<D: DataProtocol>(_ data: D) -> [UInt8] {
        // Called from generic code (any SigningKey), `D` is not specialized, and swift-crypto's
        // region-by-region path costs more than the hash of a few hundred octets: contiguous
        // bytes (every caller's `[UInt8]`) are hashed from their buffer.
        if let digest = data.withContiguousStorageIfAvailable({ hash(buffer: UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(data).withUnsafeBytes { hash(buffer: $0) }
    }

    private func hash(buffer: UnsafeRawBufferPointer) -> [UInt8] {
        func digest<H: HashFunction>(_: H.Type) -> [UInt8] {
            var function = H()
            function.update(bufferPointer: buffer)
            return function.finalize().withUnsafeBytes { Array($0) }
        }
        switch self {
        case .sha256: return digest(SHA256.self)
        case .sha384: return digest(SHA384.self)
        case .sha512: return digest(SHA512.self)
        }
    }

    /// The DER `DigestInfo` prefix for PKCS#1 v1.5 signatures (RFC 8017 §9.2 note 1): the digest
    /// is appended to it and the whole is what CKM_RSA_PKCS signs.
    public var digestInfoPrefix: [UInt8] {
        switch self {
        case .sha256:
            return [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]
        case .sha384:
            return [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]
        case .sha512:
            return [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]
        }
    }
}
