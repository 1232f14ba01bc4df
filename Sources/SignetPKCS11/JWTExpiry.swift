#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When an ID token expires, read from its payload's `exp` claim without verifying anything: the module
/// only decides how long to reuse a token it was just handed (Signet verifies it). Anything it cannot
/// read yields nil, and the token is then not reused.
enum JWTExpiry {
    private struct Claims: Decodable {
        let exp: Int64?
    }

    /// Seconds since the epoch of `jwt`'s `exp`, or nil.
    static func seconds(of jwt: String) -> Int64? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count <= BearerSource.maximumLength else { return nil }
        // base64url (RFC 7515 §2) without padding → base64.
        var base64 = String(parts[1].map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        let remainder = base64.utf8.count % 4
        guard remainder != 1 else { return nil }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        guard let payload = Data(base64Encoded: base64) else { return nil }
        return (try? JSONDecoder().decode(Claims.self, from: payload))?.exp
    }
}
