import Crypto
import Foundation
import SignetCore
import SignetWire
import X509

/// Signs a file with a release's HSM-held key through Signet, for a pipeline that never holds the
/// key: asks for the release key and its chain, builds the CMS SignedData's signed attributes here,
/// sends only their digest to `POST /api/v1/keys/<id>/sign`, checks the signature against the
/// release certificate, optionally adds an RFC 3161 timestamp over the signature value (RFC 3161
/// Appendix A) as an unsigned attribute, and returns the detached SignedData (DER).
public struct ReleaseSigner: Sendable {
    public let api: APIClient

    public init(api: APIClient) { self.api = api }

    /// What signing produced: the DER and which key and certificate made it.
    public struct Signed: Sendable {
        public let der: [UInt8]
        public let keyID: String
        public let certificateSerial: String
        public let timestamped: Bool
    }

    /// Signs `content` with `release`'s key. With `timestampRoots` (non-nil), the signature is
    /// timestamped by Signet's TSA and the token verified against those roots, or against the root
    /// in the chain Signet returned when the list is empty.
    public func sign(_ content: [UInt8], release: String, timestampRoots: [Certificate]?) async throws -> Signed {
        let key = try await api.post("/api/v1/releases/\(release)/key", [:])
        guard let keyID = key["key_id"] as? String, let leafPEM = key["certificate"] as? String, let chainPEM = key["chain"] as? [String] else {
            throw SignetError.internalError("Expected key_id, certificate and chain in the release key response; is \(api.base) a Signet server?")
        }
        let leaf = try Certificate(pemEncoded: leafPEM)
        let chain = try chainPEM.map { try Certificate(pemEncoded: $0) }
        guard let keyAlgorithm = KeyAlgorithm(publicKey: leaf.publicKey) else {
            throw SignetError.internalError("The release key is \(KeyAlgorithm.describeUnknown(leaf.publicKey)), which this client cannot sign with")
        }
        let digestAlgorithm = keyAlgorithm.digest
        let builder = try CMSSignedDataBuilder(
            eContentType: .CMSContentType.data, eContent: nil, digestAlgorithm: SignetWire.AlgorithmIdentifier(algorithm: digestAlgorithm.oid),
            messageDigest: digestAlgorithm.hash(content), signerCertificate: leaf, certificates: [leaf] + chain.dropLast(),
            signatureAlgorithm: try SignetWire.AlgorithmIdentifier(keyAlgorithm.signatureAlgorithm),
            signedAttributes: [
                try .signingTime(Date()),
                try .signingCertificateV2(try SigningCertificateV2(certs: [try ESSCertIDv2(certificate: leaf, certHash: Array(SHA256.hash(data: leaf.derBytes)))])),
            ])
        let toSign = try builder.bytesToSign()
        let signed = try await api.post("/api/v1/keys/\(keyID)/sign", ["digest": Data(digestAlgorithm.hash(toSign)).base64EncodedString(), "algorithm": digestAlgorithm.rawValue])
        guard let signatureText = signed["signature"] as? String, let signature = Data(base64Encoded: signatureText) else {
            throw SignetError.internalError("Expected a base64 signature in the signing response")
        }
        guard leaf.publicKey.isValidSignature(Array(signature), for: toSign, signatureAlgorithm: keyAlgorithm.signatureAlgorithm) else {
            throw SignetError(.badSignature, "The signature Signet returned does not verify with the release certificate")
        }
        var unsigned: [CMSAttribute] = []
        if let timestampRoots {
            let roots = timestampRoots.isEmpty ? chain.filter { $0.subject == $0.issuer } : timestampRoots
            let stamp = try await TimestampClient.timestamp(
                digest: Array(SHA256.hash(data: Array(signature))), algorithm: .sha256, tsa: api.base + "/tsa", roots: roots, trust: api.transport.trust)
            unsigned.append(try .timeStampToken(stamp.token))
        }
        return Signed(der: try builder.assemble(signature: Array(signature), unsignedAttributes: unsigned), keyID: keyID,
                      certificateSerial: (signed["certificate_serial"] as? String) ?? "", timestamped: timestampRoots != nil)
    }
}
