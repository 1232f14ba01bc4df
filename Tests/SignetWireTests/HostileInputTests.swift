import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

/// Every parser meets truncated, garbage and wrong-tag input with a thrown error, never a trap.
@Suite struct HostileInputTests {
    struct Parser: CustomStringConvertible, Sendable {
        let description: String
        let sample: @Sendable () throws -> [UInt8]
        let parse: @Sendable ([UInt8]) throws -> Void
    }

    static func parser<T: DERParseable & SendableMetatype>(_ type: T.Type, _ sample: @escaping @Sendable () throws -> [UInt8]) -> Parser {
        Parser(description: "\(T.self)", sample: sample, parse: { _ = try T(derEncoded: $0) })
    }

    static func der<T: DERSerializable>(_ value: @autoclosure () throws -> T) throws -> [UInt8] {
        try value().derBytes()
    }

    static let certID = try! CertID(hashAlgorithm: .sha256, issuerNameHash: [UInt8](repeating: 1, count: 32),
                                    issuerKeyHash: [UInt8](repeating: 2, count: 32), serialNumber: [0x81, 0x02])
    static let single = try! SingleResponse(
        certID: certID, certStatus: .revoked(RevokedInfo(revocationTime: referenceTime, revocationReason: .superseded)),
        thisUpdate: referenceTime, nextUpdate: referenceTime.addingTimeInterval(60),
        singleExtensions: [Certificate.Extension(oid: [1, 2, 3], critical: false, value: [5, 0])])
    static let responseData = try! ResponseData(
        responderID: .byKey([UInt8](repeating: 3, count: 20)), producedAt: referenceTime, responses: [single],
        responseExtensions: [OCSPNonce.makeExtension(echoing: [0x04, 0x01, 0x09])])
    static let basic = try! BasicOCSPResponse(tbsResponseData: responseData, signatureAlgorithm: .ecdsaWithSHA256, signature: [0x30, 0x00])
    static let timeStampResp = try! TestTimeStampAuthority.respond(to: TimeStampReq(
        messageImprint: MessageImprint(hashAlgorithm: .sha256, hashedMessage: [UInt8](repeating: 7, count: 32)), nonce: [9, 9], certReq: true))
    static let token = timeStampResp.timeStampToken!
    static let signedData = try! token.signedData()
    static let crlTBS = try! CRLTests.tbs(entries: [
        RevokedCertificate(serialNumber: [0x01], revocationDate: referenceTime, reason: .keyCompromise, invalidityDate: referenceTime),
        RevokedCertificate(serialNumber: [0x02], revocationDate: referenceTime),
    ])

    static let parsers: [Parser] = [
        parser(CertificateList.self) { try CertificateList.assemble(tbsCertList: crlTBS.derBytes(), signatureAlgorithm: .ecdsaWithSHA256, signature: [0x30, 0x00]) },
        parser(TBSCertList.self) { try crlTBS.derBytes() },
        parser(RevokedCertificate.self) { try der(crlTBS.revokedCertificates[0]) },
        Parser(description: "OCSPRequest(maximumRequests:)", sample: {
            try der(OCSPRequest(tbsRequest: TBSRequest(requestList: [Request(reqCert: certID)],
                                                       requestExtensions: [Certificate.Extension(oid: OCSPNonce.oid, critical: false, value: [4, 1, 1])])))
        }, parse: { _ = try OCSPRequest(derEncoded: $0, maximumRequests: 4) }),
        parser(TBSRequest.self) { try der(TBSRequest(requestorName: .dnsName("client.example"), requestList: [Request(reqCert: certID)])) },
        parser(Request.self) { try der(Request(reqCert: certID)) },
        parser(CertID.self) { try der(certID) },
        parser(OCSPResponse.self) { try der(OCSPResponse(basicResponse: basic)) },
        parser(ResponseBytes.self) { try der(ResponseBytes(basicResponse: basic)) },
        parser(BasicOCSPResponse.self) { try der(basic) },
        parser(ResponseData.self) { try der(responseData) },
        parser(SingleResponse.self) { try der(single) },
        parser(RevokedInfo.self) { try der(RevokedInfo(revocationTime: referenceTime, revocationReason: .keyCompromise)) },
        parser(CertStatus.self) { try der(single.certStatus) },
        parser(ResponderID.self) { try der(ResponderID.byName(TestSigner.ca.certificate.subject)) },
        parser(OCSPResponseStatus.self) { try der(OCSPResponseStatus.tryLater) },
        parser(CRLReason.self) { try der(CRLReason.aACompromise) },
        parser(TimeStampReq.self) { try der(TimeStampReq(messageImprint: MessageImprint(hashAlgorithm: .sha1, hashedMessage: [UInt8](repeating: 1, count: 20)), reqPolicy: [1, 2, 3], nonce: [1], certReq: true)) },
        parser(TimeStampResp.self) { try der(timeStampResp) },
        parser(TSTInfo.self) { signedData.encapContentInfo.eContent! },
        parser(MessageImprint.self) { try der(MessageImprint(hashAlgorithm: .sha256, hashedMessage: [UInt8](repeating: 1, count: 32))) },
        parser(PKIStatusInfo.self) { try der(PKIStatusInfo(status: .rejection, statusString: ["no"], failInfo: .badDataFormat)) },
        parser(PKIFailureInfo.self) { try der(PKIFailureInfo.systemFailure) },
        parser(PKIStatus.self) { try der(PKIStatus.waiting) },
        parser(Accuracy.self) { try der(Accuracy(seconds: 2, millis: 3, micros: 4)) },
        parser(ContentInfo.self) { try der(token) },
        parser(SignedData.self) { try der(signedData) },
        parser(SignerInfo.self) { try der(signedData.signerInfos[0]) },
        parser(EncapsulatedContentInfo.self) { try der(signedData.encapContentInfo) },
        parser(CMSAttribute.self) { try der(CMSAttribute.signingTime(referenceTime)) },
        parser(IssuerAndSerialNumber.self) { try der(IssuerAndSerialNumber(certificate: TestSigner.tsa.certificate)) },
        parser(SignerIdentifier.self) { try der(SignerIdentifier.subjectKeyIdentifier([1, 2, 3])) },
        parser(SigningCertificateV2.self) { try der(signedData.signerInfos[0].signingCertificateV2()!) },
        parser(ESSCertIDv2.self) { try der(signedData.signerInfos[0].signingCertificateV2()!.certs[0]) },
        parser(IssuerSerial.self) { try der(IssuerSerial(certificate: TestSigner.tsa.certificate)) },
    ]

    @Test("every sample parses (so the failures below are the input's fault)", arguments: parsers)
    func samplesParse(parser: Parser) throws {
        try parser.parse(parser.sample())
    }

    @Test("every strict prefix of a valid encoding is refused", arguments: parsers)
    func truncated(parser: Parser) throws {
        let sample = try parser.sample()
        for length in 0..<sample.count {
            #expect(throws: (any Error).self, "prefix of \(length) octets") { try parser.parse(Array(sample.prefix(length))) }
        }
        #expect(throws: (any Error).self) { try parser.parse(sample + [0x00]) }  // trailing data
    }

    static let garbage: [[UInt8]] = {
        var generator = SplitMix64(state: 0x5149_4E45_5457_4952)
        var inputs: [[UInt8]] = [
            [], [0x00], [0xFF], [0x30], [0x30, 0x01], [0x30, 0x80, 0x00, 0x00],  // indefinite length is not DER
            [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00],  // a 2 GiB length
            [0x30, 0x89, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09],  // a 9-octet length
            [0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00],  // a huge tag number
            Array("POST /ocsp HTTP/1.1\r\nHost: signet\r\n\r\n".utf8),
            [UInt8](repeating: 0x30, count: 64),
        ]
        // 60 SEQUENCEs deep, each well-formed: beyond swift-asn1's depth limit of 50.
        var nested: [UInt8] = [0x05, 0x00]
        for _ in 0..<60 { nested = [0x30, UInt8(nested.count)] + nested }
        inputs.append(nested)
        for _ in 0..<40 {
            let count = Int.random(in: 1...96, using: &generator)
            inputs.append((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        return inputs
    }()

    @Test("garbage is refused", arguments: parsers)
    func garbageRefused(parser: Parser) throws {
        for input in Self.garbage {
            #expect(throws: (any Error).self, "\(input.prefix(12))") { try parser.parse(input) }
        }
    }

    @Test("a wrong outer tag is refused", arguments: parsers)
    func wrongTag(parser: Parser) throws {
        var sample = try parser.sample()
        sample[0] = sample[0] == 0x04 ? 0x05 : 0x04
        #expect(throws: (any Error).self) { try parser.parse(sample) }
        sample[0] = 0x31
        #expect(throws: (any Error).self) { try parser.parse(sample) }
    }

    @Test("bit flips and length edits never trap", arguments: parsers)
    func mutations(parser: Parser) throws {
        let sample = try parser.sample()
        var generator = SplitMix64(state: UInt64(sample.count))
        for _ in 0..<300 {
            var mutated = sample
            let index = Int.random(in: 0..<mutated.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: mutated[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            case 1: mutated[index] = UInt8.random(in: 0...255, using: &generator)
            default: mutated.insert(UInt8.random(in: 0...255, using: &generator), at: index)
            }
            _ = try? parser.parse(mutated)
        }
    }

    @Test("the RFC 8954 nonce check and the CRL assembler refuse garbage too")
    func helpers() throws {
        for input in Self.garbage {
            #expect(throws: WireError.self) { try OCSPNonce.validate(extensionValue: input) }
            #expect(throws: (any Error).self) {
                try CertificateList.assemble(tbsCertList: input, signatureAlgorithm: .ecdsaWithSHA256, signature: [1])
            }
        }
    }
}
