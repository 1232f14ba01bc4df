import Foundation
import SwiftASN1
import X509

/// A one-signer CMS SignedData for many contents of one type, with everything that does not depend
/// on the content encoded once: the signer identifier, algorithms, certificates and the constant
/// signed attributes. Per content it writes the message-digest attribute, sorts the signed
/// attributes and concatenates. The octets are exactly those of ``CMSSignedDataBuilder`` for the
/// same inputs (tested); this type exists because the TSA signs thousands of tokens a second with
/// one certificate, and re-encoding certificates and names per token cost more than the rest.
public struct PreparedCMSSigner: Sendable {
    public let eContentType: ASN1ObjectIdentifier
    public let digestAlgorithm: AlgorithmIdentifier
    private let digestLength: Int?
    /// `[0] IMPLICIT`-ready encodings of the signed attributes other than message-digest.
    private let constantAttributes: [[UInt8]]
    private let messageDigestType: [UInt8]
    private let signerInfoPrefix: [UInt8]
    private let signatureAlgorithmDER: [UInt8]
    private let signedDataPrefix: [UInt8]
    private let certificateSet: [UInt8]
    private let contentInfoType: [UInt8]

    /// The content, its signed attributes and what the HSM must sign for it.
    public struct Pending: Sendable {
        /// The DER SET OF signed attributes (tag 0x31): the bytes to sign (RFC 5652 §5.4).
        public let bytesToSign: [UInt8]
        let eContent: [UInt8]?
        let signer: PreparedCMSSigner
    }

    /// Same parameters as ``CMSSignedDataBuilder`` minus the content: `certificates` are embedded in
    /// every SignedData (empty for none); `signedAttributes` are added to content-type and
    /// message-digest.
    public init(
        eContentType: ASN1ObjectIdentifier, digestAlgorithm: AlgorithmIdentifier, signerCertificate: Certificate, certificates: [Certificate],
        signatureAlgorithm: AlgorithmIdentifier, signedAttributes: [CMSAttribute] = []
    ) throws {
        let length = MessageImprint.digestLength(of: digestAlgorithm)
        // The structured builder checks the attributes and decides both versions.
        let reference = try CMSSignedDataBuilder(
            eContentType: eContentType, eContent: nil, digestAlgorithm: digestAlgorithm,
            messageDigest: [UInt8](repeating: 0, count: length ?? 32), signerCertificate: signerCertificate, certificates: certificates,
            signatureAlgorithm: signatureAlgorithm, signedAttributes: signedAttributes)
        let signerInfo = try reference.signerInfo(signature: [])
        self.eContentType = eContentType
        self.digestAlgorithm = digestAlgorithm
        self.digestLength = length
        self.constantAttributes = try ([.contentType(eContentType)] + signedAttributes).map { try $0.derBytes() }
        self.messageDigestType = try ASN1ObjectIdentifier.CMSAttributeType.messageDigest.derBytes()
        self.signerInfoPrefix = try signerInfo.version.derBytes() + signerInfo.sid.derBytes() + digestAlgorithm.derBytes()
        self.signatureAlgorithmDER = try signatureAlgorithm.derBytes()
        self.signedDataPrefix = try reference.signedData(signature: []).version.derBytes() + DERPrimitives.tlv(0x31, try digestAlgorithm.derBytes())
        self.certificateSet = certificates.isEmpty ? [] : DERPrimitives.setOf(0xA0, certificates.map { CMSSignedDataBuilder.encoded($0) })
        self.contentInfoType = try ASN1ObjectIdentifier.CMSContentType.signedData.derBytes()
    }

    /// The signed attributes for one content whose digest is `messageDigest`.
    public func pending(eContent: [UInt8]?, messageDigest: [UInt8]) throws -> Pending {
        if let digestLength, digestLength != messageDigest.count {
            throw WireError.invariant("Expected a \(digestLength)-octet message digest for \(digestAlgorithm.algorithm), got \(messageDigest.count) octets")
        }
        let digestAttribute = DERPrimitives.tlv(0x30, messageDigestType, DERPrimitives.tlv(0x31, DERPrimitives.tlv(0x04, messageDigest)))
        return Pending(bytesToSign: DERPrimitives.setOf(0x31, constantAttributes + [digestAttribute]), eContent: eContent, signer: self)
    }
}

extension PreparedCMSSigner.Pending {
    /// The final DER: a ContentInfo of type id-signedData carrying `signature`.
    public func assemble(signature: [UInt8]) throws -> [UInt8] {
        var signedAttributes = bytesToSign
        signedAttributes[0] = 0xA0  // the same SET OF, as [0] IMPLICIT inside the SignerInfo
        let signerInfo = DERPrimitives.tlv(
            0x30, signer.signerInfoPrefix, signedAttributes, signer.signatureAlgorithmDER, DERPrimitives.tlv(0x04, signature))
        var encapsulated = try signer.eContentType.derBytes()
        if let eContent {
            encapsulated += DERPrimitives.tlv(0xA0, DERPrimitives.tlv(0x04, eContent))
        }
        let signedData = DERPrimitives.tlv(
            0x30, signer.signedDataPrefix, DERPrimitives.tlv(0x30, encapsulated), signer.certificateSet, DERPrimitives.tlv(0x31, signerInfo))
        return DERPrimitives.tlv(0x30, signer.contentInfoType, DERPrimitives.tlv(0xA0, signedData))
    }
}
