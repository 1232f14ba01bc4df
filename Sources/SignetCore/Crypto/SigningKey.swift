import Foundation
import SwiftASN1
import X509

/// The one narrow signing interface in Signet. Certificates, CRLs, OCSP responses, timestamp tokens,
/// CMS signatures and audit checkpoints are all signed through it, so key custody has exactly one
/// path to audit. An HSM key implements it by signing a digest inside the token; nothing that
/// conforms ever exposes private key bytes.
///
/// A `SigningKey` is also a swift-certificates `CustomPrivateKey`, so it can be passed wherever
/// `Certificate.PrivateKey` is wanted (`Certificate.PrivateKey(key)`).
public protocol SigningKey: CustomPrivateKey {
    /// Where the key lives, for records and error messages.
    var reference: KeyReference { get }
    /// The key type; fixes the signature algorithm.
    var algorithm: KeyAlgorithm { get }
    /// Signs a digest the caller computed with `digest`. Returns the encoded signature value as it
    /// goes into a BIT STRING: a DER `Ecdsa-Sig-Value` for EC keys (RFC 3279 §2.2.3), the PKCS#1
    /// v1.5 signature block for RSA keys.
    func signDigest(_ digest: [UInt8], algorithm digest: DigestAlgorithm) throws -> [UInt8]
}

extension SigningKey {
    /// The signature algorithm identifier that matches ``algorithm``.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm { algorithm.signatureAlgorithm }

    /// Hashes `message` in software with the key's digest and signs the digest.
    public func sign<Message: DataProtocol>(message: Message) throws -> [UInt8] {
        let digest = algorithm.digest
        return try signDigest(digest.hash(message), algorithm: digest)
    }

    // MARK: CustomPrivateKey

    public var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { signatureAlgorithm }
    public var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [signatureAlgorithm] }

    public func signSynchronously(
        bytes: some DataProtocol,
        signatureAlgorithm: Certificate.SignatureAlgorithm
    ) throws -> Certificate.Signature {
        guard signatureAlgorithm == self.signatureAlgorithm else {
            throw SignetError.internalError(
                "Expected signature algorithm \(self.signatureAlgorithm) for \(algorithm) key \(reference), got \(signatureAlgorithm)")
        }
        let value = try sign(message: bytes)
        return try Certificate.Signature(signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: value[...]))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.reference == rhs.reference && lhs.publicKey == rhs.publicKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(reference) }

    // MARK: PEMSerializable: a key in custody has no PEM form.

    public func serialize(into coder: inout DER.Serializer) throws {
        throw SignetError.internalError("Key \(reference) is held in the token and cannot be exported")
    }

    public func serializeAsPEM(discriminator: String) throws -> PEMDocument {
        throw SignetError.internalError("Key \(reference) is held in the token and cannot be exported")
    }

    public static var defaultPEMDiscriminator: String { "PRIVATE KEY" }
}
