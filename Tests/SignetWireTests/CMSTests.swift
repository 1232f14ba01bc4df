import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

@Suite struct CMSTests {
    static let signer = TestSigner.documentSigner
    static let content = Array("a file to be signed by Signet\n".utf8)

    static func detachedBuilder(extra: [CMSAttribute] = []) throws -> CMSSignedDataBuilder {
        try CMSSignedDataBuilder(
            eContentType: .CMSContentType.data, eContent: nil, digestAlgorithm: .sha256,
            messageDigest: Array(SHA256.hash(data: content)), signerCertificate: signer.certificate,
            signatureAlgorithm: signer.algorithm, signedAttributes: [.signingTime(referenceTime)] + extra)
    }

    @Test("attributes: exact bytes for content-type, signing-time and message-digest")
    func attributeBytes() throws {
        let pkcs9: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09]
        let contentType = try CMSAttribute.contentType(.CMSContentType.data)
        #expect(try contentType.derBytes() == [0x30, 0x18, 0x06, 0x09] + pkcs9 + [0x03, 0x31, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01])
        let signingTime = try CMSAttribute.signingTime(referenceTime)
        #expect(try signingTime.derBytes() == [0x30, 0x1C, 0x06, 0x09] + pkcs9 + [0x05, 0x31, 0x0F, 0x17, 0x0D] + Array("231114221320Z".utf8))
        let digest = try CMSAttribute.messageDigest([0xAA, 0xBB])
        #expect(try digest.derBytes() == [0x30, 0x11, 0x06, 0x09] + pkcs9 + [0x04, 0x31, 0x04, 0x04, 0x02, 0xAA, 0xBB])
        for attribute in [contentType, signingTime, digest] {
            #expect(try CMSAttribute(derEncoded: attribute.derBytes()) == attribute)
        }
        // signing-time from 2050 is a GeneralizedTime (RFC 5652 §11.3).
        let late = try CMSAttribute.signingTime(Date(timeIntervalSince1970: 2_524_608_000))
        #expect(try late.derBytes().containsSubsequence([0x18, 0x0F] + Array("20500101000000Z".utf8)))
    }

    @Test("ESSCertIDv2 omits the default SHA-256 algorithm and writes any other")
    func essCertID() throws {
        let sha256 = try ESSCertIDv2(certificate: Self.signer.certificate, certHash: [UInt8](repeating: 1, count: 32))
        let bytes = try sha256.derBytes()
        #expect(try firstChild(of: bytes) == 0x04)  // certHash comes first
        #expect(try ESSCertIDv2(derEncoded: bytes) == sha256)
        let sha384 = try ESSCertIDv2(certificate: Self.signer.certificate, hashAlgorithm: .sha384, certHash: [UInt8](repeating: 1, count: 48))
        #expect(try firstChild(of: sha384.derBytes()) == 0x30)
        #expect(try ESSCertIDv2(derEncoded: sha384.derBytes()) == sha384)
        #expect(throws: WireError.self) { try ESSCertIDv2(certHash: [1], issuerSerial: nil) }
        let noIssuerSerial = try ESSCertIDv2(certHash: [UInt8](repeating: 2, count: 32), issuerSerial: nil)
        #expect(try noIssuerSerial.derBytes() == [0x30, 0x22, 0x04, 0x20] + [UInt8](repeating: 2, count: 32))
    }

    @Test("IssuerSerial holds one directoryName; SigningCertificateV2 round-trips")
    func issuerSerial() throws {
        let issuerSerial = IssuerSerial(certificate: Self.signer.certificate)
        let bytes = try issuerSerial.derBytes()
        let names = try #require(try children(of: bytes).first)
        #expect(names.identifier == .sequence)  // GeneralNames
        #expect(try firstChild(of: Array(names.encodedBytes)) == 0xA4)  // one directoryName [4]
        #expect(try IssuerSerial(derEncoded: bytes) == issuerSerial)
        let value = try SigningCertificateV2(certs: [ESSCertIDv2(certificate: Self.signer.certificate, certHash: [UInt8](repeating: 3, count: 32))])
        #expect(try SigningCertificateV2(derEncoded: value.derBytes()) == value)
        #expect(throws: WireError.self) { try SigningCertificateV2(certs: []) }
    }

    @Test("bytesToSign is the DER-sorted SET OF signed attributes with tag 0x31 (RFC 5652 §5.4)")
    func bytesToSign() throws {
        let builder = try Self.detachedBuilder()
        let toSign = try builder.bytesToSign()
        #expect(toSign.first == 0x31)
        let info = try builder.signerInfo(signature: [0x01])
        let infoBytes = try info.derBytes()
        // The same content appears in the SignerInfo under IMPLICIT [0].
        #expect(infoBytes.containsSubsequence([0xA0] + toSign.dropFirst()))
        // Sorted by encoding.
        let node = try DER.parse(toSign)
        guard case .constructed(let children) = node.content else { Issue.record("not constructed"); return }
        let encodings = children.map { Array($0.encodedBytes) }
        #expect(encodings == encodings.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(encodings.count == 3)
    }

    @Test("the builder refuses a digest of the wrong length and duplicate required attributes")
    func builderInvariants() throws {
        #expect(throws: WireError.self) {
            try CMSSignedDataBuilder(
                eContentType: .CMSContentType.data, eContent: nil, digestAlgorithm: .sha256, messageDigest: [1, 2],
                signerCertificate: Self.signer.certificate, signatureAlgorithm: Self.signer.algorithm)
        }
        #expect(throws: WireError.self) { try Self.detachedBuilder(extra: [.contentType(.CMSContentType.data)]) }
        #expect(throws: WireError.self) { try Self.detachedBuilder(extra: [.signingTime(referenceTime)]) }
    }

    @Test("a detached signature: version 1, no eContent, the signature verifies, and it round-trips byte for byte")
    func detached() throws {
        let builder = try Self.detachedBuilder()
        let signature = try Self.signer.sign(builder.bytesToSign())
        let der = try builder.assemble(signature: signature)

        let contentInfo = try ContentInfo(derEncoded: der)
        #expect(contentInfo.contentType == .CMSContentType.signedData)
        let signedData = try contentInfo.signedData()
        #expect(signedData.version == 1)
        #expect(signedData.encapContentInfo.eContent == nil)
        #expect(signedData.digestAlgorithms == [.sha256])
        #expect(signedData.certificates == [Self.signer.certificate])
        let signerInfo = try #require(signedData.signerInfos.first)
        #expect(signerInfo.version == 1)
        #expect(signerInfo.sid == .issuerAndSerialNumber(IssuerAndSerialNumber(certificate: Self.signer.certificate)))
        #expect(try signerInfo.messageDigest() == Array(SHA256.hash(data: Self.content)))
        #expect(try signerInfo.contentType() == .CMSContentType.data)
        #expect(try signerInfo.signingTime() == referenceTime)
        let ecdsa = try P256.Signing.ECDSASignature(derRepresentation: signerInfo.signature)
        #expect(Self.signer.key.publicKey.isValidSignature(ecdsa, for: try signerInfo.signedAttributesBytesToSign()))
        #expect(try contentInfo.derBytes() == der)
        #expect(try ContentInfo(signedData: signedData).derBytes() == der)
    }

    @Test("a time-stamp token: SignedData version 3 with the TSTInfo as eContent")
    func timeStampToken() throws {
        let request = try TimeStampReq(
            messageImprint: MessageImprint(hashAlgorithm: .sha256, hashedMessage: Array(SHA256.hash(data: Self.content))),
            nonce: [0x01, 0x02], certReq: true)
        let response = try TestTimeStampAuthority.respond(to: request)
        let parsed = try TimeStampResp(derEncoded: response.derBytes())
        #expect(parsed == response)
        let token = try #require(parsed.timeStampToken)
        let signedData = try token.signedData()
        #expect(signedData.version == 3)
        #expect(signedData.encapContentInfo.eContentType == .CMSContentType.tstInfo)
        let info = try #require(try parsed.tstInfo())
        #expect(info.messageImprint == request.messageImprint)
        #expect(info.nonce == [0x01, 0x02])
        let signerInfo = try #require(signedData.signerInfos.first)
        let essCertID = try #require(try signerInfo.signingCertificateV2()?.certs.first)
        #expect(essCertID.certHash == Array(SHA256.hash(data: try TestSigner.tsa.certificate.derBytes)))
        #expect(essCertID.issuerSerial == IssuerSerial(certificate: TestSigner.tsa.certificate))
        #expect(try signerInfo.messageDigest() == Array(SHA256.hash(data: #require(signedData.encapContentInfo.eContent))))
    }

    @Test("a token added as an unsigned attribute leaves the signature intact (RFC 3161 Appendix A)")
    func addTimeStamp() throws {
        let builder = try Self.detachedBuilder()
        let der = try builder.assemble(signature: Self.signer.sign(builder.bytesToSign()))
        let signedData = try ContentInfo(derEncoded: der).signedData()
        let signature = signedData.signerInfos[0].signature

        let request = try TimeStampReq(messageImprint: MessageImprint(hashAlgorithm: .sha256, hashedMessage: Array(SHA256.hash(data: signature))))
        let token = try #require(try TestTimeStampAuthority.respond(to: request).timeStampToken)
        let stamped = try signedData.addingUnsignedAttributes([.timeStampToken(token)])
        let stampedDER = try ContentInfo(signedData: stamped).derBytes()

        let reparsed = try ContentInfo(derEncoded: stampedDER).signedData()
        let signerInfo = reparsed.signerInfos[0]
        #expect(signerInfo.signature == signature)
        #expect(try signerInfo.signedAttributesBytesToSign() == builder.bytesToSign())
        #expect(try signerInfo.timeStampToken() == token)
        #expect(try signerInfo.timeStampToken()?.signedData().encapContentInfo.eContentType == .CMSContentType.tstInfo)
        #expect(throws: WireError.self) { try signedData.addingUnsignedAttributes([], toSignerAt: 1) }
    }

    @Test("a subjectKeyIdentifier signer is SignerInfo version 3 and makes the SignedData version 3")
    func subjectKeyIdentifierSigner() throws {
        let info = try SignerInfo(
            sid: .subjectKeyIdentifier(Self.signer.subjectKeyIdentifier), digestAlgorithm: .sha256,
            signedAttrs: [.contentType(.CMSContentType.data), .messageDigest([UInt8](repeating: 9, count: 32))],
            signatureAlgorithm: Self.signer.algorithm, signature: [0x30, 0x00])
        #expect(info.version == 3)
        #expect(try SignerInfo(derEncoded: info.derBytes()) == info)
        let signedData = SignedData(
            digestAlgorithms: [.sha256], encapContentInfo: EncapsulatedContentInfo(eContentType: .CMSContentType.data, eContent: [1]),
            certificates: [], signerInfos: [info])
        #expect(signedData.version == 3)
        #expect(try SignedData(derEncoded: signedData.derBytes()) == signedData)
    }

    @Test("signed attributes without content-type or message-digest are refused (RFC 5652 §5.3)")
    func requiredAttributes() throws {
        #expect(throws: WireError.self) {
            try SignerInfo(
                sid: .subjectKeyIdentifier([1]), digestAlgorithm: .sha256, signedAttrs: [.signingTime(referenceTime)],
                signatureAlgorithm: Self.signer.algorithm, signature: [1])
        }
    }

    @Test("the prepared signer writes the structured builder's exact octets: any content type, with and without certificates or eContent")
    func preparedSignerMatchesBuilder() throws {
        let tsa = TestSigner.tsa
        let ess = try CMSAttribute.signingCertificateV2(SigningCertificateV2(certs: [
            ESSCertIDv2(certificate: tsa.certificate, certHash: Array(SHA256.hash(data: try tsa.certificate.derBytes))),
        ]))
        let cases: [(ASN1ObjectIdentifier, [CMSAttribute], [Certificate], Bool)] = [
            (.CMSContentType.tstInfo, [ess], [tsa.certificate, TestSigner.ca.certificate], true),
            (.CMSContentType.tstInfo, [ess], [], true),
            (.CMSContentType.data, [try .signingTime(referenceTime)], [tsa.certificate], false),
            (.CMSContentType.data, [], [], true),
        ]
        for (type, attributes, certificates, embedded) in cases {
            let prepared = try PreparedCMSSigner(
                eContentType: type, digestAlgorithm: .sha256, signerCertificate: tsa.certificate, certificates: certificates,
                signatureAlgorithm: tsa.algorithm, signedAttributes: attributes)
            // Sizes either side of each length form: short, and one, two and three length octets.
            for size in [0, 1, 100, 127, 128, 255, 256, 5000, 65_535, 65_536, 70_000] {
                let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
                let digest = Array(SHA256.hash(data: content))
                let builder = try CMSSignedDataBuilder(
                    eContentType: type, eContent: embedded ? content : nil, digestAlgorithm: .sha256, messageDigest: digest,
                    signerCertificate: tsa.certificate, certificates: certificates, signatureAlgorithm: tsa.algorithm, signedAttributes: attributes)
                let pending = try prepared.pending(eContent: embedded ? content : nil, messageDigest: digest)
                #expect(pending.bytesToSign == (try builder.bytesToSign()), "\(type) \(size)")
                let signature = try tsa.sign(pending.bytesToSign)
                let der = try pending.assemble(signature: signature)
                #expect(der == (try builder.assemble(signature: signature)), "\(type) \(size)")
                #expect(der == (try ContentInfo(signedData: builder.signedData(signature: signature)).derBytes()), "\(type) \(size)")
            }
        }
        let prepared = try PreparedCMSSigner(
            eContentType: .CMSContentType.tstInfo, digestAlgorithm: .sha256, signerCertificate: tsa.certificate, certificates: [],
            signatureAlgorithm: tsa.algorithm)
        #expect(throws: WireError.self) { try prepared.pending(eContent: [1], messageDigest: [1, 2, 3]) }
    }
}
