import Crypto

/// The PKCS #12 key derivation (RFC 7292 Appendix B.2) with SHA-256, used only for the integrity MAC of
/// a PFX (RFC 7292 §5.1, purpose ID 3): every reader of PKCS #12 files (OpenSSL, Java's keytool)
/// derives the MAC key this way. Confidentiality uses PBES2 with PBKDF2 instead (``PKCS12Builder``).
public enum PKCS12KeyDerivation {
    /// What the derived bytes are for (RFC 7292 Appendix B.3).
    public enum Purpose: UInt8, Sendable {
        case encryptionKey = 1
        case initializationVector = 2
        case macKey = 3
    }

    /// SHA-256's output (u) and block (v) sizes in octets.
    static let u = 32
    static let v = 64

    /// The password as Appendix B.1 wants it: a BMPString (UTF-16 big-endian) with two zero octets at the end.
    public static func formatPassword(_ password: String) -> [UInt8] {
        password.utf16.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] } + [0, 0]
    }

    /// Derives `count` octets from `password`, `salt` and `iterations` (≥ 1) for `purpose`.
    public static func derive(password: String, salt: [UInt8], iterations: Int, purpose: Purpose, count: Int) throws -> [UInt8] {
        guard iterations >= 1, count >= 1 else { throw WireError.invariant("PKCS #12 key derivation needs at least one iteration and one octet") }
        let diversifier = [UInt8](repeating: purpose.rawValue, count: v)                            // step 1: D
        func fill(_ bytes: [UInt8]) -> [UInt8] {                                                     // steps 2-3: S and P
            guard !bytes.isEmpty else { return [] }
            let length = v * ((bytes.count + v - 1) / v)
            return (0..<length).map { bytes[$0 % bytes.count] }
        }
        var input = fill(salt) + fill(formatPassword(password))                                     // step 4: I = S || P
        var output: [UInt8] = []
        while output.count < count {                                                                 // steps 5-6
            var digest = SHA256.hash(data: diversifier + input)
            // Hashed from the digest's own bytes: hundreds of thousands of rounds, no array per round.
            for _ in 1..<iterations {
                var hasher = SHA256()
                digest.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                digest = hasher.finalize()
            }
            let a = Array(digest)
            output += a
            guard output.count < count else { break }
            // Step 6C: each v-octet block of I becomes (I_j + B + 1) mod 2^(8v), B being A repeated to v octets.
            let b = (0..<v).map { a[$0 % u] }
            for start in stride(from: 0, to: input.count, by: v) {
                var carry: UInt16 = 1
                for index in stride(from: v - 1, through: 0, by: -1) {
                    let sum = UInt16(input[start + index]) + UInt16(b[index]) + carry
                    input[start + index] = UInt8(truncatingIfNeeded: sum)
                    carry = sum >> 8
                }
            }
        }
        return Array(output.prefix(count))
    }
}
