import Crypto
import _CryptoExtras
import Foundation
import SignetCore
import X509

/// The requester's own private key, generated or read on the machine that uses it and never sent
/// anywhere: only a CSR signed with it leaves. Written as unencrypted PKCS #8 PEM (mode 0600), the
/// form osslsigncode, openssl and signtool's converters read.
public struct LocalKey: Sendable {
    public let algorithm: KeyAlgorithm
    let privateKey: Certificate.PrivateKey
    /// PKCS #8 PrivateKeyInfo.
    public let pkcs8DER: [UInt8]

    /// A new key of `algorithm`, from the system's CSPRNG.
    public static func generate(_ algorithm: KeyAlgorithm) throws -> LocalKey {
        switch algorithm {
        case .ecP256:
            let key = P256.Signing.PrivateKey()
            return LocalKey(algorithm: algorithm, privateKey: .init(key), pkcs8DER: Array(key.derRepresentation))
        case .ecP384:
            let key = P384.Signing.PrivateKey()
            return LocalKey(algorithm: algorithm, privateKey: .init(key), pkcs8DER: Array(key.derRepresentation))
        case .rsa3072, .rsa4096:
            let key = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: algorithm.rsaModulusBits ?? 3072))
            return LocalKey(algorithm: algorithm, privateKey: .init(key), pkcs8DER: Array(key.pkcs8DERRepresentation))
        case .rsa2048:
            throw SignetError.refused("rsa-2048 keys are too short for code signing (CA/B Forum CS BR §6.1.5); use rsa-3072 or an EC key")
        }
    }

    /// A key from PEM: PKCS #8 (`PRIVATE KEY`), SEC 1 (`EC PRIVATE KEY`) or PKCS #1 (`RSA PRIVATE KEY`).
    public static func read(pem text: String, file: String) throws -> LocalKey {
        if text.contains("BEGIN ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            throw SignetError.malformed("\(file) is encrypted; Signet reads unencrypted keys only (openssl pkey -in \(file) -out plain.key)")
        }
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: text) {
            return LocalKey(algorithm: .ecP256, privateKey: .init(key), pkcs8DER: Array(key.derRepresentation))
        }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: text) {
            return LocalKey(algorithm: .ecP384, privateKey: .init(key), pkcs8DER: Array(key.derRepresentation))
        }
        if let key = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: text) {
            guard let algorithm = KeyAlgorithm(publicKey: Certificate.PublicKey(key.publicKey)), algorithm != .rsa2048 else {
                throw SignetError.refused("\(file) holds an rsa-\(key.keySizeInBits) key; Signet's profiles take rsa-3072 or rsa-4096")
            }
            return LocalKey(algorithm: algorithm, privateKey: .init(key), pkcs8DER: Array(key.pkcs8DERRepresentation))
        }
        throw SignetError.malformed("Expected a PEM private key (EC P-256, P-384 or RSA 3072/4096) in \(file)")
    }

    public var publicKey: Certificate.PublicKey { privateKey.publicKey }

    /// PKCS #8 in PEM (the label `PRIVATE KEY`).
    public var pem: String { PEM.encode(pkcs8DER, type: "PRIVATE KEY") + "\n" }

    /// A CSR for this key (RFC 2986), its signature proving possession. The subject is the common name
    /// `subjectName` when given (profiles with `{subject_name}` use it), else empty: Signet fills the
    /// certificate's subject from the token.
    public func csr(subjectName: String?) throws -> String {
        let subject = try subjectName.map { name in try DistinguishedName { CommonName(name) } } ?? DistinguishedName()
        return try CertificateSigningRequest(version: .v1, subject: subject, privateKey: privateKey, attributes: .init(),
                                             signatureAlgorithm: algorithm.signatureAlgorithm).serializeAsPEM().pemString
    }
}
