import Crypto
import SignetCore
import X509

/// A certificate's SHA-256 fingerprint: what an operator reads out (`signet init`, `signet ca
/// fingerprint`) and a user types into `signet ca bootstrap`. Printed as lowercase hex without
/// separators; read also with colons, spaces, upper case, or the `sha256:` / `SHA256 Fingerprint=`
/// prefixes step and openssl print.
public enum Fingerprint {
    /// The SHA-256 of the certificate's DER, as 64 lowercase hex digits.
    public static func sha256(_ certificate: Certificate) -> String {
        sha256(der: certificate.derBytes)
    }

    public static func sha256(der: [UInt8]) -> String {
        Array(SHA256.hash(data: der)).hexString
    }

    /// The 32 octets a typed fingerprint stands for; the error shows what one looks like.
    public static func parse(_ text: String) throws -> [UInt8] {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        for prefix in ["sha256 fingerprint=", "sha256:", "sha256="] where body.lowercased().hasPrefix(prefix) {
            body = body.dropFirst(prefix.count)
        }
        let digits = body.filter { $0 != ":" && $0 != " " }.lowercased()
        guard digits.count == 64, let bytes = Hex.decode(digits) else {
            throw SignetError.malformed("Expected a SHA-256 fingerprint of 64 hex digits (colons allowed), got '\(text)'")
        }
        return bytes
    }
}
