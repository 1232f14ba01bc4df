import Crypto
import Foundation
import SignetWire
import SwiftASN1
import X509

/// Answers time-stamp requests the way Signet's TSA will, with the software key of `TestSigner.tsa`
/// in place of the HSM: TSTInfo → CMS SignedData with signing-certificate-v2 (RFC 5816) → response.
enum TestTimeStampAuthority {
    static let policy: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 99999, 1, 1]

    static func respond(to request: TimeStampReq, serialNumber: [UInt8] = [0x01, 0x02, 0x03, 0x04],
                        genTime: Date = referenceTime.addingTimeInterval(0.123)) throws -> TimeStampResp {
        let tsa = TestSigner.tsa
        let info = try TSTInfo(
            policy: request.reqPolicy ?? policy, messageImprint: request.messageImprint, serialNumber: serialNumber,
            genTime: genTime, accuracy: Accuracy(seconds: 1), nonce: request.nonce,
            tsa: .directoryName(tsa.certificate.subject))
        return try TimeStampResp(granted: token(for: info, includeCertificate: request.certReq))
    }

    /// A time-stamp token (RFC 3161 §2.4.2) over `info`.
    static func token(for info: TSTInfo, includeCertificate: Bool = true) throws -> ContentInfo {
        let tsa = TestSigner.tsa
        let content = try info.derBytes()
        let certificateHash = Array(SHA256.hash(data: try tsa.certificate.derBytes))
        let builder = try CMSSignedDataBuilder(
            eContentType: .CMSContentType.tstInfo, eContent: content, digestAlgorithm: .sha256,
            messageDigest: Array(SHA256.hash(data: content)), signerCertificate: tsa.certificate,
            certificates: includeCertificate ? [tsa.certificate] : [], signatureAlgorithm: tsa.algorithm,
            signedAttributes: [
                .signingCertificateV2(SigningCertificateV2(certs: [ESSCertIDv2(certificate: tsa.certificate, certHash: certificateHash)]))
            ])
        let signature = try tsa.sign(builder.bytesToSign())
        return try ContentInfo(derEncoded: builder.assemble(signature: signature))
    }
}
