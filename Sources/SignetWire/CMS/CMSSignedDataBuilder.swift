import Foundation
import SwiftASN1
import X509

/// Builds a one-signer CMS SignedData (RFC 5652 §5) around a signature made elsewhere, since
/// Signet's keys stay in the HSM: the caller hashes the content, asks for ``bytesToSign()``, has
/// the HSM sign those bytes, and calls ``assemble(signature:unsignedAttributes:)``.
///
/// The signed attributes always begin with content-type and message-digest (RFC 5652 §5.3, §11.1,
/// §11.2); add signing-time or signing-certificate-v2 through `signedAttributes`. The signer is
/// identified by issuer and serial number, so the SignerInfo is version 1 and the SignedData
/// version 1 for id-data or 3 otherwise (RFC 5652 §5.1, §5.3). Used for RFC 3161 tokens
/// (eContentType id-ct-TSTInfo, eContent the TSTInfo DER) and detached file signatures
/// (id-data, no eContent).
public struct CMSSignedDataBuilder: Hashable, Sendable {
    public let encapContentInfo: EncapsulatedContentInfo
    public let digestAlgorithm: AlgorithmIdentifier
    public let signerCertificate: Certificate
    /// What goes in the SignedData's certificates field (may be empty, e.g. for an RFC 3161
    /// request without certReq, §2.4.1).
    public let certificates: [Certificate]
    public let signatureAlgorithm: AlgorithmIdentifier
    public let signedAttributes: [CMSAttribute]

    /// - Parameters:
    ///   - eContent: the content to embed, or nil for a detached signature.
    ///   - messageDigest: the digest, with `digestAlgorithm`, of the content (embedded or detached).
    ///   - certificates: the certificates to embed; by default the signer's.
    ///   - signedAttributes: signed attributes besides content-type and message-digest.
    public init(
        eContentType: ASN1ObjectIdentifier,
        eContent: [UInt8]?,
        digestAlgorithm: AlgorithmIdentifier,
        messageDigest: [UInt8],
        signerCertificate: Certificate,
        certificates: [Certificate]? = nil,
        signatureAlgorithm: AlgorithmIdentifier,
        signedAttributes: [CMSAttribute] = []
    ) throws {
        if let expected = MessageImprint.digestLength(of: digestAlgorithm), expected != messageDigest.count {
            throw WireError.invariant("Expected a \(expected)-octet message digest for \(digestAlgorithm.algorithm), got \(messageDigest.count) octets")
        }
        for attribute in signedAttributes
        where [.CMSAttributeType.contentType, .CMSAttributeType.messageDigest].contains(attribute.attrType) {
            throw WireError.invariant("Expected content-type and message-digest to be left to the builder, got \(attribute.attrType) in signedAttributes")
        }
        self.encapContentInfo = EncapsulatedContentInfo(eContentType: eContentType, eContent: eContent)
        self.digestAlgorithm = digestAlgorithm
        self.signerCertificate = signerCertificate
        self.certificates = certificates ?? [signerCertificate]
        self.signatureAlgorithm = signatureAlgorithm
        self.signedAttributes = try [.contentType(eContentType), .messageDigest(messageDigest)] + signedAttributes
        // Let SignerInfo check the attribute set now rather than at assembly.
        _ = try signerInfo(signature: [])
    }

    /// The DER the signer signs: the signed attributes as a SET OF with tag 0x31 (RFC 5652 §5.4).
    public func bytesToSign() throws -> [UInt8] {
        try signerInfo(signature: []).signedAttributesBytesToSign()
    }

    /// The SignerInfo carrying `signature`.
    public func signerInfo(signature: [UInt8], unsignedAttributes: [CMSAttribute] = []) throws -> SignerInfo {
        try SignerInfo(
            sid: .issuerAndSerialNumber(IssuerAndSerialNumber(certificate: signerCertificate)),
            digestAlgorithm: digestAlgorithm, signedAttrs: signedAttributes, signatureAlgorithm: signatureAlgorithm,
            signature: signature, unsignedAttrs: unsignedAttributes)
    }

    /// The SignedData carrying `signature`.
    public func signedData(signature: [UInt8], unsignedAttributes: [CMSAttribute] = []) throws -> SignedData {
        SignedData(
            digestAlgorithms: [digestAlgorithm], encapContentInfo: encapContentInfo, certificates: certificates,
            signerInfos: [try signerInfo(signature: signature, unsignedAttributes: unsignedAttributes)])
    }

    /// The final DER: a ContentInfo of type id-signedData. Written by concatenating encoded parts,
    /// the same octets as `ContentInfo(signedData:).derBytes()` at a fraction of the cost (this is the
    /// TSA's hot path).
    public func assemble(signature: [UInt8], unsignedAttributes: [CMSAttribute] = []) throws -> [UInt8] {
        let signer = try signerInfo(signature: signature, unsignedAttributes: unsignedAttributes)
        let structure = SignedData(digestAlgorithms: [digestAlgorithm], encapContentInfo: encapContentInfo, certificates: certificates, signerInfos: [signer])
        var encapsulated = try encapContentInfo.eContentType.derBytes()
        if let content = encapContentInfo.eContent {
            encapsulated += DERPrimitives.tlv(0xA0, DERPrimitives.tlv(0x04, content))
        }
        let certificateSet = certificates.isEmpty ? [] : DERPrimitives.setOf(0xA0, certificates.map { Self.encoded($0) })
        let signedData = DERPrimitives.tlv(
            0x30, try structure.version.derBytes(), DERPrimitives.tlv(0x31, try digestAlgorithm.derBytes()), DERPrimitives.tlv(0x30, encapsulated),
            certificateSet, DERPrimitives.tlv(0x31, try signer.derBytes()))
        return DERPrimitives.tlv(0x30, try ASN1ObjectIdentifier.CMSContentType.signedData.derBytes(), DERPrimitives.tlv(0xA0, signedData))
    }

    /// A certificate's DER from the parts swift-certificates keeps, without re-serializing its fields.
    static func encoded(_ certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        try! serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
