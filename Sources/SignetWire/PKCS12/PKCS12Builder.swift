import Crypto
import _CryptoExtras
import SwiftASN1

/// Writes a PKCS #12 keystore for one private key and its certificate chain, the form `jarsigner`,
/// `keytool`, Windows' `signtool` and `openssl pkcs12` take a signing identity in. swift-crypto and
/// swift-certificates do not write PKCS #12, and a developer's laptop should not need the openssl CLI
/// for it, so Signet writes what OpenSSL 3 writes by default, with stronger work factors:
/// - the key in a pkcs8ShroudedKeyBag under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC; RFC 8018);
/// - the certificates in certBags, not encrypted (they are public);
/// - both bags named by friendlyName (the alias) and linked by localKeyId (SHA-1 of the certificate,
///   as OpenSSL and Java compute it);
/// - an HMAC-SHA256 over the AuthenticatedSafe keyed by the PKCS #12 KDF (RFC 7292 Appendix B).
/// The MAC uses the same iteration count as PBKDF2: a cheaper MAC would let a password be guessed
/// through it at the lower cost.
public enum PKCS12Builder {
    /// OWASP's figure for PBKDF2-HMAC-SHA256 (2023); Java reads up to 5,000,000.
    public static let defaultIterations = 600_000

    /// Random inputs, drawn fresh unless a test fixes them.
    public struct Salts: Sendable {
        public var keySalt: [UInt8]
        public var iv: [UInt8]
        public var macSalt: [UInt8]

        public init(keySalt: [UInt8], iv: [UInt8], macSalt: [UInt8]) {
            self.keySalt = keySalt
            self.iv = iv
            self.macSalt = macSalt
        }

        public static func random() -> Salts {
            var rng = SystemRandomNumberGenerator()
            func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &rng) } }
            return Salts(keySalt: bytes(16), iv: bytes(16), macSalt: bytes(16))
        }
    }

    /// The DER of a PFX holding `privateKey` (a PKCS #8 PrivateKeyInfo's DER) and `certificates` (DER,
    /// the key's own certificate first, then its issuers), under `friendlyName`, protected by `password`.
    public static func build(
        privateKey: [UInt8], certificates: [[UInt8]], friendlyName: String, password: String,
        iterations: Int = defaultIterations, salts: Salts = .random()
    ) throws -> [UInt8] {
        guard let leaf = certificates.first else { throw WireError.invariant("A keystore needs the key's certificate") }
        guard !password.isEmpty else { throw WireError.invariant("A keystore needs a password") }
        guard iterations >= 1 else { throw WireError.invariant("Expected at least one iteration, got \(iterations)") }
        let attributes = [try PKCS12Attribute.friendlyName(friendlyName), try PKCS12Attribute.localKeyID(Array(Insecure.SHA1.hash(data: leaf)))]

        // The key: PBES2 (RFC 8018 §6.2) with a PBKDF2 key for AES-256-CBC; the password as UTF-8 octets.
        let kdf = try PBKDF2Parameters(salt: salts.keySalt, iterationCount: iterations,
                                       prf: AlgorithmIdentifier(algorithm: .PKCS12.hmacWithSHA256, parameters: AlgorithmIdentifier.null))
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salts.keySalt, using: .sha256, outputByteCount: 32,
                                                    unsafeUncheckedRounds: iterations)
        let ciphertext = try AES._CBC.encrypt(privateKey, using: key, iv: try AES._CBC.IV(ivBytes: salts.iv))
        let shrouded = EncryptedPrivateKeyInfo(
            encryptionAlgorithm: AlgorithmIdentifier(algorithm: .PKCS12.pbes2, parameters: try ASN1Any(erasing: PBES2Parameters(pbkdf2: kdf, aes256CBCWithIV: salts.iv))),
            encryptedData: Array(ciphertext))

        let certificateBags = try [SafeBag.certificate(leaf, attributes: attributes)] + certificates.dropFirst().map { try SafeBag.certificate($0) }
        let keyBags = [try SafeBag.shroudedKey(shrouded, attributes: attributes)]
        var safe = DER.Serializer()
        try safe.serializeSequenceOf(try [certificateBags, keyBags].map { bags in
            var contents = DER.Serializer()
            try contents.serializeSequenceOf(bags)
            return ContentInfo(contentType: .CMSContentType.data, content: try ASN1Any(erasing: ASN1OctetString(contentBytes: contents.serializedBytes[...])))
        })
        let authenticatedSafe = safe.serializedBytes

        // Integrity (RFC 7292 §5.1): HMAC-SHA256 with a key from the PKCS #12 KDF, purpose 3.
        let macKey = try PKCS12KeyDerivation.derive(password: password, salt: salts.macSalt, iterations: iterations, purpose: .macKey, count: 32)
        let mac = HMAC<SHA256>.authenticationCode(for: authenticatedSafe, using: SymmetricKey(data: macKey))
        let macData = try MacData(digestAlgorithm: AlgorithmIdentifier(algorithm: AlgorithmIdentifier.sha256.algorithm, parameters: AlgorithmIdentifier.null),
                                  digest: Array(mac), macSalt: salts.macSalt, iterations: iterations)
        return try PFX(authenticatedSafe: authenticatedSafe, macData: macData).derBytes()
    }

    /// Whether `pfx`'s MAC verifies under `password` (HMAC-SHA256 only): a wrong password or an edited
    /// file reads false.
    public static func macVerifies(_ pfx: PFX, password: String) throws -> Bool {
        guard let macData = pfx.macData, macData.digestAlgorithm.algorithm == AlgorithmIdentifier.sha256.algorithm else { return false }
        let key = try PKCS12KeyDerivation.derive(password: password, salt: macData.macSalt, iterations: macData.iterations, purpose: .macKey, count: 32)
        return HMAC<SHA256>.isValidAuthenticationCode(macData.digest, authenticating: pfx.authenticatedSafe, using: SymmetricKey(data: key))
    }
}
