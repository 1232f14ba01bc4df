import Crypto

/// A SHA-2 computation fed part by part (C_SignUpdate) and finished once (C_SignFinal).
public enum IncrementalHash: Sendable {
    case sha256(SHA256)
    case sha384(SHA384)
    case sha512(SHA512)

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .sha256(var hash): hash.update(bufferPointer: bytes); self = .sha256(hash)
        case .sha384(var hash): hash.update(bufferPointer: bytes); self = .sha384(hash)
        case .sha512(var hash): hash.update(bufferPointer: bytes); self = .sha512(hash)
        }
    }

    public func finalize() -> [UInt8] {
        switch self {
        case .sha256(let hash): return Array(hash.finalize())
        case .sha384(let hash): return Array(hash.finalize())
        case .sha512(let hash): return Array(hash.finalize())
        }
    }
}
