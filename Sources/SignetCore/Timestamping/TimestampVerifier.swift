import Crypto
import Foundation
import SignetWire
import SwiftASN1
import X509

/// Checks a `TimeStampResp` the way a careful client must (RFC 3161 §2.4.2, RFC 5816): granted,
/// the TSTInfo covers the expected imprint and echoes the nonce, the token's signature verifies over
/// its signed attributes, messageDigest matches the TSTInfo, signingCertificateV2 names the signer,
/// the signer carries the one critical EKU timeStamping, and its chain leads to a trusted root and was
/// valid at genTime. Used by `signet timestamp` and by `signet sign --timestamp`.
public enum TimestampVerifier {
    public struct Verified: Sendable {
        public let info: TSTInfo
        public let token: ContentInfo
        public let signer: Certificate
    }

    public static func verify(
        response der: [UInt8], imprint: [UInt8], digest: DigestAlgorithm, nonce: [UInt8]?, roots: [Certificate], intermediates: [Certificate] = []
    ) throws -> Verified {
        let response: TimeStampResp
        do { response = try TimeStampResp(derEncoded: der) } catch {
            throw SignetError.malformed("The TSA's reply is not a DER TimeStampResp: \(error)")
        }
        guard let token = response.timeStampToken, let info = try response.tstInfo() else {
            let text = response.status.statusString.joined(separator: "; ")
            throw SignetError.refused("The TSA rejected the request (status \(response.status.status)\(text.isEmpty ? "" : ": " + text))")
        }
        return try verify(token: token, info: info, imprint: imprint, digest: digest, nonce: nonce, roots: roots, intermediates: intermediates)
    }

    public static func verify(
        token: ContentInfo, info: TSTInfo, imprint: [UInt8], digest: DigestAlgorithm, nonce: [UInt8]?, roots: [Certificate], intermediates: [Certificate]
    ) throws -> Verified {
        guard info.messageImprint.hashedMessage == imprint, info.messageImprint.hashAlgorithm.matches(SignetWire.AlgorithmIdentifier(algorithm: digest.oid)) else {
            throw SignetError(.badSignature, "The timestamp covers a different message imprint than the one sent")
        }
        if let nonce, info.nonce != nonce.drop(while: { $0 == 0 }).map({ $0 }) {
            throw SignetError(.badSignature, "The timestamp does not echo the request's nonce")
        }
        let signedData = try token.signedData()
        guard signedData.encapContentInfo.eContentType == .CMSContentType.tstInfo, let content = signedData.encapContentInfo.eContent,
              let signerInfo = signedData.signerInfos.first else {
            throw SignetError.malformed("The token is not SignedData over a TSTInfo")
        }
        let certificates = signedData.certificates + intermediates
        guard case .issuerAndSerialNumber(let sid) = signerInfo.sid,
              let signer = certificates.first(where: { $0.issuer == sid.issuer && Array($0.serialNumber.bytes) == sid.serialNumber }) else {
            throw SignetError(.badSignature, "The token's signer certificate is not in the token; request it with certReq")
        }
        guard let messageDigest = try signerInfo.messageDigest(), messageDigest == Array(SHA256.hash(data: content)) || messageDigest == Array(SHA384.hash(data: content)) || messageDigest == Array(SHA512.hash(data: content)) else {
            throw SignetError(.badSignature, "The token's messageDigest does not match its TSTInfo")
        }
        guard let essCertificate = try signerInfo.signingCertificateV2()?.certs.first,
              essCertificate.certHash == Array(SHA256.hash(data: signer.derBytes)) || !essCertificate.hashAlgorithm.matches(.sha256) else {
            throw SignetError(.badSignature, "The token's signingCertificateV2 does not name its signer (RFC 5816)")
        }
        let signatureAlgorithm = try signatureAlgorithm(signerInfo.signatureAlgorithm, digest: signerInfo.digestAlgorithm)
        guard signer.publicKey.isValidSignature(signerInfo.signature, for: try signerInfo.signedAttributesBytesToSign(), signatureAlgorithm: signatureAlgorithm) else {
            throw SignetError(.badSignature, "The token's signature does not verify with the TSA certificate")
        }
        // RFC 3161 §2.3: the TSA certificate has exactly one EKU, timeStamping, and it is critical.
        guard let eku = signer.extensions[oid: .X509ExtensionID.extendedKeyUsage], eku.critical,
              Array(try ExtendedKeyUsage(eku)) == [.timeStamping] else {
            throw SignetError(.badSignature, "The TSA certificate lacks a critical extendedKeyUsage of timeStamping only (RFC 3161 §2.3)")
        }
        try verifyChain(signer, certificates: certificates, roots: roots, at: info.genTime)
        return Verified(info: info, token: token, signer: signer)
    }

    /// Walks issuer links from `leaf` to one of `roots`, checking each signature and validity at `time`.
    public static func verifyChain(_ leaf: Certificate, certificates: [Certificate], roots: [Certificate], at time: Date) throws {
        var current = leaf
        for _ in 0..<8 {
            guard current.notValidBefore <= time && time <= current.notValidAfter else {
                throw SignetError(.badSignature, "\(current.subject) was not valid at \(time)")
            }
            if let root = roots.first(where: { $0.subject == current.issuer && $0.publicKey.isValidSignature(current.signature, for: current) }) {
                guard root.notValidBefore <= time && time <= root.notValidAfter else { throw SignetError(.badSignature, "The root was not valid at \(time)") }
                return
            }
            guard let parent = certificates.first(where: { $0 != current && $0.subject == current.issuer && $0.publicKey.isValidSignature(current.signature, for: current) }) else {
                throw SignetError(.badSignature, "\(current.subject) does not chain to a trusted root")
            }
            current = parent
        }
        throw SignetError(.badSignature, "The certificate chain is too long")
    }

    static func signatureAlgorithm(_ algorithm: SignetWire.AlgorithmIdentifier, digest: SignetWire.AlgorithmIdentifier) throws -> Certificate.SignatureAlgorithm {
        let known: [(SignetWire.AlgorithmIdentifier, Certificate.SignatureAlgorithm)] = [
            (.ecdsaWithSHA256, .ecdsaWithSHA256), (.ecdsaWithSHA384, .ecdsaWithSHA384), (.ecdsaWithSHA512, .ecdsaWithSHA512),
            (.sha256WithRSAEncryption, .sha256WithRSAEncryption), (.sha384WithRSAEncryption, .sha384WithRSAEncryption),
            (.sha512WithRSAEncryption, .sha512WithRSAEncryption),
        ]
        if let match = known.first(where: { $0.0.matches(algorithm) }) { return match.1 }
        // rsaEncryption as the signature algorithm: the digest algorithm decides (RFC 5754 §3.2).
        if algorithm.algorithm == [1, 2, 840, 113549, 1, 1, 1] {
            if digest.matches(.sha256) { return .sha256WithRSAEncryption }
            if digest.matches(.sha384) { return .sha384WithRSAEncryption }
            if digest.matches(.sha512) { return .sha512WithRSAEncryption }
        }
        throw SignetError.malformed("Unsupported token signature algorithm \(algorithm.algorithm)")
    }
}
