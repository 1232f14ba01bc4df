import Foundation
import SwiftASN1
import X509

/// A one-signer CMS SignedData for many contents of one type, with everything that does not depend
/// on the content encoded once: the signer identifier, algorithms, certificates and the constant
/// signed attributes. Per content it puts the message-digest attribute in its place among the
/// signed attributes (DER SET OF order) and writes each layer once, into a buffer of the final
/// size. The octets are exactly those of ``CMSSignedDataBuilder`` for the same inputs (tested);
/// this type exists because the TSA signs thousands of tokens a second with one certificate, and
/// re-encoding certificates and names per token cost more than the rest.
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
    private let eContentTypeDER: [UInt8]

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
        // Kept in DER SET OF order, so each content only finds where its message digest goes.
        self.constantAttributes = try ([.contentType(eContentType)] + signedAttributes).map { try $0.derBytes() }
            .sorted { $0.lexicographicallyPrecedes($1) }
        self.messageDigestType = try ASN1ObjectIdentifier.CMSAttributeType.messageDigest.derBytes()
        self.signerInfoPrefix = try signerInfo.version.derBytes() + signerInfo.sid.derBytes() + digestAlgorithm.derBytes()
        self.signatureAlgorithmDER = try signatureAlgorithm.derBytes()
        self.signedDataPrefix = try reference.signedData(signature: []).version.derBytes() + DERPrimitives.tlv(0x31, try digestAlgorithm.derBytes())
        self.certificateSet = certificates.isEmpty ? [] : DERPrimitives.setOf(0xA0, certificates.map { CMSSignedDataBuilder.encoded($0) })
        self.contentInfoType = try ASN1ObjectIdentifier.CMSContentType.signedData.derBytes()
        self.eContentTypeDER = try eContentType.derBytes()
    }

    /// The signed attributes for one content whose digest is `messageDigest`.
    public func pending(eContent: [UInt8]?, messageDigest: [UInt8]) throws -> Pending {
        if let digestLength, digestLength != messageDigest.count {
            throw WireError.invariant("Expected a \(digestLength)-octet message digest for \(digestAlgorithm.algorithm), got \(messageDigest.count) octets")
        }
        let digestAttribute = DERPrimitives.tlv(0x30, messageDigestType, DERPrimitives.tlv(0x31, DERPrimitives.tlv(0x04, messageDigest)))
        let position = constantAttributes.firstIndex { digestAttribute.lexicographicallyPrecedes($0) } ?? constantAttributes.count
        let length = constantAttributes.reduce(digestAttribute.count) { $0 + $1.count }
        var set: [UInt8] = []
        set.reserveCapacity(DERPrimitives.encodedLength(length))
        DERPrimitives.appendHeader(0x31, length, to: &set)
        for attribute in constantAttributes[..<position] { set += attribute }
        set += digestAttribute
        for attribute in constantAttributes[position...] { set += attribute }
        return Pending(bytesToSign: set, eContent: eContent, signer: self)
    }
}

extension PreparedCMSSigner.Pending {
    /// The final DER: a ContentInfo of type id-signedData carrying `signature`.
    public func assemble(signature: [UInt8]) throws -> [UInt8] {
        // Lengths first, inside out, then one pass into a buffer of the final size: nesting by
        // concatenation would copy the certificates once per enclosing layer.
        let signer = signer
        let signerInfo = signer.signerInfoPrefix.count + bytesToSign.count + signer.signatureAlgorithmDER.count
            + DERPrimitives.encodedLength(signature.count)
        let explicitContent = eContent.map { DERPrimitives.encodedLength($0.count) }
        let encapsulated = signer.eContentTypeDER.count + (explicitContent.map(DERPrimitives.encodedLength) ?? 0)
        let signerInfos = DERPrimitives.encodedLength(signerInfo)
        let signedData = signer.signedDataPrefix.count + DERPrimitives.encodedLength(encapsulated) + signer.certificateSet.count
            + DERPrimitives.encodedLength(signerInfos)
        let explicitSignedData = DERPrimitives.encodedLength(signedData)
        let contentInfo = signer.contentInfoType.count + DERPrimitives.encodedLength(explicitSignedData)

        var out: [UInt8] = []
        out.reserveCapacity(DERPrimitives.encodedLength(contentInfo))
        DERPrimitives.appendHeader(0x30, contentInfo, to: &out)
        out += signer.contentInfoType
        DERPrimitives.appendHeader(0xA0, explicitSignedData, to: &out)
        DERPrimitives.appendHeader(0x30, signedData, to: &out)
        out += signer.signedDataPrefix
        DERPrimitives.appendHeader(0x30, encapsulated, to: &out)
        out += signer.eContentTypeDER
        if let eContent, let explicitContent {
            DERPrimitives.appendHeader(0xA0, explicitContent, to: &out)
            DERPrimitives.appendHeader(0x04, eContent.count, to: &out)
            out += eContent
        }
        out += signer.certificateSet
        DERPrimitives.appendHeader(0x31, signerInfos, to: &out)
        DERPrimitives.appendHeader(0x30, signerInfo, to: &out)
        out += signer.signerInfoPrefix
        out.append(0xA0)  // the same SET OF, as [0] IMPLICIT inside the SignerInfo
        out += bytesToSign.dropFirst()
        out += signer.signatureAlgorithmDER
        DERPrimitives.appendHeader(0x04, signature.count, to: &out)
        out += signature
        return out
    }
}
