import Foundation
import JWTKit

/// An issuer's JSON Web Key Set (RFC 7517 §5), parsed key by key into jwt-kit verifiers. Each key gets
/// a key collection of its own, so a token is checked against exactly the key its `kid` names: jwt-kit
/// falls back to a collection's default key when the `kid` is unknown, which would turn "unknown key"
/// into a confusing "bad signature".
///
/// Keys Signet cannot use are left out rather than failing the whole set (issuers publish keys for
/// other purposes too): encryption keys (`use: enc`), key types other than RSA and EC P-256, RSA keys
/// under 2048 bits, and any key with private parts (a JWKS that leaks a private key is not trusted
/// with it).
public struct JWKSKeySet: Sendable {
    /// One usable public key.
    public struct Key: Sendable {
        public let kid: String?
        /// The algorithm family the key can verify.
        public let algorithm: OIDCIssuerSettings.Algorithm
        /// The key's own `alg`, when the set names one; a token must then use exactly that.
        public let declaredAlgorithm: String?
        let verifier: JWTKeyCollection
    }

    public let keys: [Key]
    /// Why keys were left out, for the log.
    public let skipped: [String]

    /// A key set is a few KiB; GitHub's holds a handful of RSA keys.
    public static let maximumSize = 256 * 1024
    public static let maximumKeys = 64

    public init(json bytes: [UInt8]) async throws {
        guard bytes.count <= Self.maximumSize else {
            throw SignetError.malformed("Expected a JWKS of at most \(Self.maximumSize) octets, got \(bytes.count)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], let list = object["keys"] as? [Any] else {
            throw SignetError.malformed("Expected a JWKS: a JSON object with a \"keys\" list (RFC 7517 §5)")
        }
        var keys: [Key] = []
        var skipped: [String] = []
        for (index, entry) in list.prefix(Self.maximumKeys).enumerated() {
            guard let fields = entry as? [String: Any] else { skipped.append("key \(index): not an object"); continue }
            let kid = fields["kid"] as? String
            let label = kid.map { "key \(SignetError.quote($0))" } ?? "key \(index)"
            if let use = fields["use"] as? String, use != "sig" { skipped.append("\(label): use \(use)"); continue }
            if fields["d"] != nil || fields["p"] != nil { skipped.append("\(label): has private parts"); continue }
            let family: OIDCIssuerSettings.Algorithm
            switch (fields["kty"] as? String, fields["crv"] as? String) {
            case ("RSA", _):
                guard let n = fields["n"] as? String, let modulus = Data(base64URLEncodedText: n), Self.bits(of: modulus) >= 2048 else {
                    skipped.append("\(label): RSA modulus missing or under 2048 bits"); continue
                }
                family = .rs256
            case ("EC", "P-256"): family = .es256
            case (let type, let curve): skipped.append("\(label): unsupported key type \(type ?? "?")\(curve.map { " " + $0 } ?? "")"); continue
            }
            let declared = fields["alg"] as? String
            if let declared, declared != family.rawValue { skipped.append("\(label): alg \(declared) is not accepted"); continue }
            do {
                let jwk = try JSONDecoder().decode(JWK.self, from: try JSONSerialization.data(withJSONObject: fields))
                let verifier = JWTKeyCollection()
                if jwk.keyIdentifier == nil {
                    // jwt-kit files keys by kid; a kid-less key (usable only when it is the set's only key) gets a placeholder.
                    var named = jwk
                    named.keyIdentifier = JWKIdentifier(string: "signet-unnamed-\(index)")
                    try await verifier.add(jwk: named)
                } else {
                    try await verifier.add(jwk: jwk)
                }
                keys.append(Key(kid: kid, algorithm: family, declaredAlgorithm: declared, verifier: verifier))
            } catch {
                skipped.append("\(label): \(error)")
            }
        }
        self.keys = keys
        self.skipped = skipped
    }

    /// The key a token's header names: by `kid`; without one, the set's only key.
    public func key(kid: String?) -> Key? {
        guard let kid else { return keys.count == 1 ? keys[0] : nil }
        return keys.first { $0.kid == kid }
    }

    /// The key ids, for messages.
    public var kids: [String] { keys.compactMap(\.kid) }

    static func bits(of modulus: Data) -> Int {
        guard let first = modulus.firstIndex(where: { $0 != 0 }) else { return 0 }
        let significant = modulus.distance(from: first, to: modulus.endIndex)
        return (significant - 1) * 8 + (8 - modulus[first].leadingZeroBitCount)
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5), as JOSE writes it; nil for anything else.
    init?(base64URLEncodedText text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
