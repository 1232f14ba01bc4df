import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

@Suite struct TSPTests {
    static let policy: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 99999, 1, 1]

    static func imprint() throws -> MessageImprint {
        try MessageImprint(hashAlgorithm: .sha256, hashedMessage: Array(SHA256.hash(data: Array("hello".utf8))))
    }

    @Test("PKIStatusInfo rejection with failInfo badAlg: exact bytes")
    func statusInfoBytes() throws {
        let info = PKIStatusInfo(status: .rejection, failInfo: .badAlg)
        let expected: [UInt8] = [0x30, 0x07, 0x02, 0x01, 0x02, 0x03, 0x02, 0x07, 0x80]
        #expect(try info.derBytes() == expected)
        #expect(try PKIStatusInfo(derEncoded: expected) == info)
    }

    @Test("PKIFailureInfo is a DER named-bit BIT STRING: trailing zero bits dropped", arguments: [
        (PKIFailureInfo.badAlg, [0x03, 0x02, 0x07, 0x80]),
        (.badRequest, [0x03, 0x02, 0x05, 0x20]),
        (.badDataFormat, [0x03, 0x02, 0x02, 0x04]),
        ([.badAlg, .badDataFormat], [0x03, 0x02, 0x02, 0x84]),
        (.timeNotAvailable, [0x03, 0x03, 0x01, 0x00, 0x02]),
        (.unacceptedPolicy, [0x03, 0x03, 0x00, 0x00, 0x01]),
        (.unacceptedExtension, [0x03, 0x04, 0x07, 0x00, 0x00, 0x80]),
        (.addInfoNotAvailable, [0x03, 0x04, 0x06, 0x00, 0x00, 0x40]),
        (.systemFailure, [0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40]),
        ([], [0x03, 0x01, 0x00]),
    ] as [(PKIFailureInfo, [UInt8])])
    func failureInfo(info: PKIFailureInfo, expected: [UInt8]) throws {
        #expect(try info.derBytes() == expected)
        #expect(try PKIFailureInfo(derEncoded: expected) == info)
    }

    @Test("PKIStatusInfo with a status string round-trips")
    func statusString() throws {
        let info = PKIStatusInfo(status: .rejection, statusString: ["unsupported hash", "sha1 is not accepted — ü"], failInfo: [.badAlg, .systemFailure])
        #expect(try PKIStatusInfo(derEncoded: info.derBytes()) == info)
        #expect(try PKIStatusInfo(status: .granted).derBytes() == [0x30, 0x03, 0x02, 0x01, 0x00])
    }

    @Test("Accuracy: exact bytes, and millis/micros limited to 1...999")
    func accuracy() throws {
        let accuracy = try Accuracy(seconds: 1, millis: 500)
        let expected: [UInt8] = [0x30, 0x07, 0x02, 0x01, 0x01, 0x80, 0x02, 0x01, 0xF4]
        #expect(try accuracy.derBytes() == expected)
        #expect(try Accuracy(derEncoded: expected) == accuracy)
        #expect(try Accuracy(micros: 7).derBytes() == [0x30, 0x03, 0x81, 0x01, 0x07])
        for bad in [0, 1_000] {
            #expect(throws: WireError.self) { try Accuracy(millis: bad) }
            #expect(throws: WireError.self) { try Accuracy(micros: bad) }
        }
        #expect(throws: (any Error).self) { try Accuracy(derEncoded: [0x30, 0x03, 0x80, 0x01, 0x00]) }
    }

    @Test("a TimeStampReq round-trips, with a 168-bit nonce, policy, certReq and extensions")
    func requestRoundTrip() throws {
        let nonce: [UInt8] = [0x80] + [UInt8](repeating: 0x5A, count: 20)
        let request = try TimeStampReq(
            messageImprint: Self.imprint(), reqPolicy: Self.policy, nonce: nonce, certReq: true,
            extensions: [Certificate.Extension(oid: [1, 2, 3, 4], critical: false, value: [0x05, 0x00])])
        let bytes = try request.derBytes()
        #expect(try TimeStampReq(derEncoded: bytes) == request)
        #expect(try TimeStampReq(derEncoded: bytes).nonce == nonce)
        let minimal = try TimeStampReq(messageImprint: Self.imprint())
        #expect(try TimeStampReq(derEncoded: minimal.derBytes()) == minimal)
    }

    @Test("a TimeStampReq of another version is refused; an explicit certReq FALSE is tolerated")
    func requestVersionAndCertReq() throws {
        let imprint = try Self.imprint().derBytes()
        let v2: [UInt8] = [0x30, UInt8(3 + imprint.count), 0x02, 0x01, 0x02] + imprint
        #expect(throws: WireError.self) { try TimeStampReq(derEncoded: v2) }
        let explicitFalse: [UInt8] = [0x30, UInt8(6 + imprint.count), 0x02, 0x01, 0x01] + imprint + [0x01, 0x01, 0x00]
        #expect(try TimeStampReq(derEncoded: explicitFalse).certReq == false)
    }

    @Test("a MessageImprint whose length does not fit its hash is refused")
    func imprintLength() throws {
        #expect(throws: WireError.self) { try MessageImprint(hashAlgorithm: .sha256, hashedMessage: [1, 2, 3]) }
        #expect(try MessageImprint(hashAlgorithm: AlgorithmIdentifier(algorithm: [1, 2, 3]), hashedMessage: [1]).hashedMessage == [1])
    }

    @Test("genTime: milliseconds without trailing zeros, no '.' for whole seconds (RFC 3161 §2.4.2)", arguments: [
        (0.123, "20231114221320.123Z"), (0.5, "20231114221320.5Z"), (0.12, "20231114221320.12Z"), (0.001, "20231114221320.001Z"),
        (0.0, "20231114221320Z"), (0.0004, "20231114221320Z"), (0.9996, "20231114221321Z"), (0.25, "20231114221320.25Z"),
    ])
    func genTime(fraction: Double, expected: String) throws {
        let info = try TSTInfo(
            policy: Self.policy, messageImprint: Self.imprint(), serialNumber: [0x01],
            genTime: referenceTime.addingTimeInterval(fraction))
        let bytes = try info.derBytes()
        #expect(bytes.containsSubsequence([0x18, UInt8(expected.utf8.count)] + Array(expected.utf8)))
        let parsed = try TSTInfo(derEncoded: bytes)
        #expect(parsed == info)
        #expect(abs(parsed.genTime.timeIntervalSince(referenceTime) - (fraction * 1000).rounded() / 1000) < 1e-6)
    }

    @Test("a TSTInfo with every optional field round-trips")
    func tstInfoRoundTrip() throws {
        let info = try TSTInfo(
            policy: Self.policy, messageImprint: Self.imprint(), serialNumber: [UInt8](repeating: 0xC3, count: 20),
            genTime: referenceTime.addingTimeInterval(0.042), accuracy: Accuracy(seconds: 1, millis: 1, micros: 999),
            ordering: true, nonce: [0x00, 0xFF, 0x01], tsa: .directoryName(TestSigner.tsa.certificate.subject),
            extensions: [Certificate.Extension(oid: [1, 2, 3], critical: false, value: [0x05, 0x00])])
        let parsed = try TSTInfo(derEncoded: info.derBytes())
        #expect(parsed == info)
        #expect(parsed.nonce == [0xFF, 0x01])
        let plain = try TSTInfo(policy: Self.policy, messageImprint: Self.imprint(), serialNumber: [0x01], genTime: referenceTime)
        #expect(try TSTInfo(derEncoded: plain.derBytes()) == plain)
        #expect(throws: WireError.self) {
            try TSTInfo(policy: Self.policy, messageImprint: Self.imprint(), serialNumber: [0x00], genTime: referenceTime)
        }
    }

    @Test("a token is present exactly when granted (RFC 3161 §2.4.2)")
    func responseInvariant() throws {
        let rejection = try TimeStampResp.rejection(.badAlg, statusString: ["sha1 refused"])
        #expect(try TimeStampResp(derEncoded: rejection.derBytes()) == rejection)
        #expect(try rejection.tstInfo() == nil)
        #expect(throws: WireError.self) { try TimeStampResp(status: PKIStatusInfo(status: .granted), timeStampToken: nil) }
        let token = ContentInfo(contentType: .CMSContentType.signedData, content: try ASN1Any(erasing: ASN1Null()))
        #expect(throws: WireError.self) { try TimeStampResp(status: PKIStatusInfo(status: .rejection), timeStampToken: token) }
        #expect(throws: (any Error).self) { try TimeStampResp(derEncoded: [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00]) }
    }
}

@Suite struct FastAssemblyTests {
    @Test("the concatenating CMS assembler writes exactly what the structured encoder writes")
    func assembleMatchesStructuredEncoding() throws {
        let request = try TimeStampReq(messageImprint: try MessageImprint(hashAlgorithm: .sha256, hashedMessage: [UInt8](repeating: 7, count: 32)), nonce: [1, 2, 3], certReq: true)
        let response = try TestTimeStampAuthority.respond(to: request)
        let token = try #require(response.timeStampToken)
        let signedData = try token.signedData()
        let signer = try #require(signedData.signerInfos.first)
        let content = try #require(signedData.encapContentInfo.eContent)
        let builder = try CMSSignedDataBuilder(
            eContentType: signedData.encapContentInfo.eContentType, eContent: content, digestAlgorithm: signer.digestAlgorithm,
            messageDigest: try #require(try signer.messageDigest()), signerCertificate: signedData.certificates[0], certificates: signedData.certificates,
            signatureAlgorithm: signer.signatureAlgorithm,
            signedAttributes: signer.signedAttrs.filter { ![.CMSAttributeType.contentType, .CMSAttributeType.messageDigest].contains($0.attrType) })
        let fast = try builder.assemble(signature: signer.signature)
        let structured = try ContentInfo(signedData: builder.signedData(signature: signer.signature)).derBytes()
        #expect(fast == structured)
        #expect(fast == (try token.derBytes()))
        // And the granted response built around it equals the structured one.
        #expect(TimeStampResp.grantedDER(token: fast) == (try TimeStampResp(granted: try ContentInfo(derEncoded: fast)).derBytes()))
    }

    @Test("the prepared TSTInfo writes exactly what the structured TSTInfo writes, field by field")
    func preparedTSTInfoMatchesStructuredEncoding() throws {
        let tsa = GeneralName.directoryName(TestSigner.tsa.certificate.subject)
        let fixed: [(accuracy: Accuracy?, ordering: Bool, tsa: GeneralName?, extensions: [Certificate.Extension])] = [
            (nil, false, nil, []),
            (try Accuracy(seconds: 1), false, tsa, []),
            (try Accuracy(seconds: 1, millis: 1, micros: 999), true, tsa, [Certificate.Extension(oid: [1, 2, 3], critical: false, value: [0x05, 0x00])]),
        ]
        var withoutNull = AlgorithmIdentifier.sha384
        withoutNull.parameters = nil
        let imprints = [
            try MessageImprint(hashAlgorithm: .sha256, hashedMessage: [UInt8](repeating: 0xAB, count: 32)),
            try MessageImprint(hashAlgorithm: withoutNull, hashedMessage: [UInt8](repeating: 0x01, count: 48)),
            try MessageImprint(hashAlgorithm: .sha512, hashedMessage: [UInt8](repeating: 0xFF, count: 64)),
            try MessageImprint(hashAlgorithm: AlgorithmIdentifier(algorithm: [1, 2, 3, 4]), hashedMessage: [UInt8](repeating: 9, count: 200)),
        ]
        // Serials and nonces: short, long, top bit set, leading zeros, zero nonce; times: fractions
        // with and without trailing zeros, whole seconds, rounding up into the next second, 1970 and
        // before, the far future.
        let serials: [[UInt8]] = [[0x01], [0x7F], [0x80], [0x00, 0x00, 0x05], [UInt8](repeating: 0xC3, count: 20), [UInt8](repeating: 0x11, count: 130)]
        let nonces: [[UInt8]?] = [nil, [0x00], [0x00, 0xFF, 0x01], [0x7F, 0xEE], [UInt8](repeating: 0x80, count: 21)]
        let times = [0.123, 0.5, 0.12, 0.001, 0, 0.0004, 0.9996, 0.25].map { referenceTime.addingTimeInterval($0) }
            + [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -86_400.5), Date(timeIntervalSince1970: 253_402_300_799.25)]
        var compared = 0
        for shared in fixed {
            let prepared = try PreparedTSTInfo(
                policy: TSPTests.policy, accuracy: shared.accuracy, ordering: shared.ordering, tsa: shared.tsa, extensions: shared.extensions)
            for (index, serial) in serials.enumerated() {
                for imprint in imprints {
                    for nonce in nonces {
                        let time = times[(index + compared) % times.count]
                        let structured = try TSTInfo(
                            policy: TSPTests.policy, messageImprint: imprint, serialNumber: serial, genTime: time, accuracy: shared.accuracy,
                            ordering: shared.ordering, nonce: nonce, tsa: shared.tsa, extensions: shared.extensions)
                        let fast = try prepared.encode(messageImprint: imprint, serialNumber: serial, genTime: time, nonce: nonce)
                        #expect(fast == (try structured.derBytes()), "serial \(serial.count) octets, nonce \(String(describing: nonce)), time \(time)")
                        compared += 1
                    }
                }
            }
            for time in times {
                let structured = try TSTInfo(policy: TSPTests.policy, messageImprint: imprints[0], serialNumber: [1], genTime: time,
                                             accuracy: shared.accuracy, ordering: shared.ordering, tsa: shared.tsa, extensions: shared.extensions)
                #expect(try prepared.encode(messageImprint: imprints[0], serialNumber: [1], genTime: time, nonce: nil) == structured.derBytes())
            }
            #expect(throws: WireError.self) { try prepared.encode(messageImprint: imprints[0], serialNumber: [0, 0], genTime: referenceTime, nonce: nil) }
            #expect(throws: WireError.self) {
                try prepared.encode(messageImprint: imprints[0], serialNumber: [1], genTime: Date(timeIntervalSince1970: 1e13), nonce: nil)
            }
        }
        #expect(compared == 3 * 6 * 4 * 5)
        #expect(throws: (any Error).self) {
            let repeated = Certificate.Extension(oid: [1, 2, 3], critical: false, value: [0x05, 0x00])
            _ = try PreparedTSTInfo(policy: TSPTests.policy, extensions: [repeated, repeated])
        }
    }
}
