import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

@Suite struct CRLTests {
    static let ca = TestSigner.ca

    static func tbs(
        entries: [RevokedCertificate], thisUpdate: Date = referenceTime, crlNumber: [UInt8] = [0x01, 0x00]
    ) throws -> TBSCertList {
        try TBSCertList(
            signature: ca.algorithm, issuer: ca.certificate.subject, thisUpdate: thisUpdate,
            nextUpdate: thisUpdate.addingTimeInterval(7 * 86_400), revokedCertificates: entries,
            authorityKeyIdentifier: ca.subjectKeyIdentifier, crlNumber: crlNumber)
    }

    @Test("a RevokedCertificate round-trips with every reason", arguments: CRLReason.allCases)
    func revokedRoundTrip(reason: CRLReason) throws {
        let entry = try RevokedCertificate(
            serialNumber: [0x8A, 0x01, 0x02], revocationDate: referenceTime, reason: reason,
            invalidityDate: reason == .keyCompromise ? referenceTime.addingTimeInterval(-3_600) : nil)
        let parsed = try RevokedCertificate(derEncoded: entry.derBytes())
        #expect(parsed == entry)
        #expect(parsed.reason == reason)
    }

    @Test("an entry with the unspecified reason has no extensions (RFC 5280 §5.3.1): exact bytes")
    func unspecifiedReasonBytes() throws {
        let entry = try RevokedCertificate(serialNumber: [0x01, 0x23], revocationDate: referenceTime.addingTimeInterval(0.75))
        // SEQUENCE { INTEGER 0x0123, UTCTime "231114221320Z" } — the fraction of a second is dropped.
        let expected: [UInt8] = [0x30, 0x13, 0x02, 0x02, 0x01, 0x23, 0x17, 0x0D] + Array("231114221320Z".utf8)
        #expect(try entry.derBytes() == expected)
        #expect(entry.revocationDate == referenceTime)
    }

    @Test("an entry with keyCompromise carries reasonCode and invalidityDate: exact bytes")
    func keyCompromiseBytes() throws {
        let entry = try RevokedCertificate(
            serialNumber: [0x05], revocationDate: referenceTime, reason: .keyCompromise, invalidityDate: referenceTime)
        let reasonCode: [UInt8] = [0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 0x01]
        let invalidity: [UInt8] = [0x30, 0x18, 0x06, 0x03, 0x55, 0x1D, 0x18, 0x04, 0x11, 0x18, 0x0F] + Array("20231114221320Z".utf8)
        let extensions: [UInt8] = [0x30, UInt8(reasonCode.count + invalidity.count)] + reasonCode + invalidity
        let body: [UInt8] = [0x02, 0x01, 0x05, 0x17, 0x0D] + Array("231114221320Z".utf8) + extensions
        #expect(try entry.derBytes() == [0x30, UInt8(body.count)] + body)
    }

    @Test("serial numbers: leading zeros dropped, a sign octet added for a set top bit, zero refused")
    func serialNumbers() throws {
        let entry = try RevokedCertificate(serialNumber: [0x00, 0x00, 0x80, 0x01], revocationDate: referenceTime)
        #expect(entry.serialNumber == [0x80, 0x01])
        #expect(try Array(entry.derBytes()[2..<7]) == [0x02, 0x03, 0x00, 0x80, 0x01])
        #expect(throws: WireError.self) { try RevokedCertificate(serialNumber: [0x00], revocationDate: referenceTime) }
    }

    @Test("Time is UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §5.1.2.4)", arguments: [
        (2_524_607_999.0, [0x17, 0x0D] + Array("491231235959Z".utf8)),  // 2049-12-31T23:59:59Z
        (2_524_608_000.0, [0x18, 0x0F] + Array("20500101000000Z".utf8)),  // 2050-01-01T00:00:00Z
        (-631_152_000.0, [0x17, 0x0D] + Array("500101000000Z".utf8)),  // 1950-01-01T00:00:00Z
        (-631_152_001.0, [0x18, 0x0F] + Array("19491231235959Z".utf8)),
    ] as [(Double, [UInt8])])
    func timeEncoding(seconds: Double, expected: [UInt8]) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let entry = try RevokedCertificate(serialNumber: [0x01], revocationDate: date)
        let bytes = try entry.derBytes()
        #expect(Array(bytes[5...]) == expected)
        #expect(try RevokedCertificate(derEncoded: bytes).revocationDate == date)
    }

    @Test("a TBSCertList round-trips, with entries and without")
    func tbsRoundTrip() throws {
        let entries = try [
            RevokedCertificate(serialNumber: [0x01], revocationDate: referenceTime, reason: .superseded),
            RevokedCertificate(serialNumber: [0xFF, 0xEE], revocationDate: referenceTime, reason: .keyCompromise, invalidityDate: referenceTime),
            RevokedCertificate(serialNumber: [0x42], revocationDate: referenceTime),
        ]
        for list in [entries, []] {
            let tbs = try Self.tbs(entries: list, thisUpdate: referenceTime.addingTimeInterval(0.4))
            let bytes = try tbs.derBytes()
            #expect(try TBSCertList(derEncoded: bytes) == tbs)
            // The generic path through a DER.Serializer writes the same bytes.
            var serializer = DER.Serializer()
            try serializer.serialize(tbs)
            #expect(serializer.serializedBytes == bytes)
            // Entries streamed from a lazy sequence give the same bytes.
            let streamed = try TBSCertList.derBytes(
                signature: tbs.signature, issuer: tbs.issuer, thisUpdate: tbs.thisUpdate, nextUpdate: tbs.nextUpdate,
                revokedCertificates: list.lazy.map { $0 }, authorityKeyIdentifier: tbs.authorityKeyIdentifier,
                crlNumber: tbs.crlNumber)
            #expect(streamed == bytes)
        }
    }

    @Test("with no revoked certificates the list is absent (RFC 5280 §5.1.2.6), and the extensions follow nextUpdate")
    func emptyListAbsent() throws {
        let bytes = try Self.tbs(entries: []).derBytes()
        let node = try DER.parse(bytes)
        guard case .constructed(let children) = node.content else { Issue.record("not constructed"); return }
        let identifiers = children.map(\.identifier)
        #expect(identifiers == [.integer, .sequence, .sequence, UTCTime.defaultIdentifier, UTCTime.defaultIdentifier,
                                ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)])
    }

    @Test("the CRL number is non-critical, arbitrary-size and at most 20 octets (RFC 5280 §5.2.3)")
    func crlNumber() throws {
        let twenty = [UInt8](repeating: 0x7F, count: 20)
        let tbs = try Self.tbs(entries: [], crlNumber: [0x00] + twenty)
        #expect(tbs.crlNumber == twenty)
        #expect(try TBSCertList(derEncoded: tbs.derBytes()).crlNumber == twenty)
        #expect(throws: WireError.self) { try Self.tbs(entries: [], crlNumber: [UInt8](repeating: 0x01, count: 21)) }
        #expect(throws: WireError.self) { try Self.tbs(entries: [], crlNumber: [0x80] + [UInt8](repeating: 0, count: 19)) }
        #expect(try Self.tbs(entries: [], crlNumber: []).derBytes().count > 0)  // CRL number 0
    }

    @Test("nextUpdate before thisUpdate is refused")
    func nextUpdateOrder() throws {
        #expect(throws: WireError.self) {
            try TBSCertList(
                signature: Self.ca.algorithm, issuer: Self.ca.certificate.subject, thisUpdate: referenceTime,
                nextUpdate: referenceTime.addingTimeInterval(-1), revokedCertificates: [],
                authorityKeyIdentifier: [1, 2, 3], crlNumber: [1])
        }
    }

    @Test("a CertificateList assembled from TBS bytes verifies and parses back")
    func certificateList() throws {
        let tbs = try Self.tbs(entries: [RevokedCertificate(serialNumber: [0x10], revocationDate: referenceTime, reason: .cessationOfOperation)])
        let tbsBytes = try tbs.derBytes()
        let signature = try Self.ca.sign(tbsBytes)
        let der = try CertificateList.assemble(tbsCertList: tbsBytes, signatureAlgorithm: Self.ca.algorithm, signature: signature)

        let parsed = try CertificateList(derEncoded: der)
        #expect(parsed.tbsCertList == tbs)
        #expect(parsed.tbsCertListBytes == tbsBytes)
        #expect(parsed.signature == signature)
        #expect(try parsed.derBytes() == der)
        #expect(try CertificateList(tbsCertList: tbs, signatureAlgorithm: Self.ca.algorithm, signature: signature).derBytes() == der)
        let ecdsa = try P256.Signing.ECDSASignature(derRepresentation: parsed.signature)
        #expect(Self.ca.key.publicKey.isValidSignature(ecdsa, for: parsed.tbsCertListBytes))
    }

    @Test("assembling with an algorithm other than the TBS's is refused (RFC 5280 §5.1.1.2)")
    func assembleMismatch() throws {
        let tbsBytes = try Self.tbs(entries: []).derBytes()
        #expect(throws: WireError.self) {
            try CertificateList.assemble(tbsCertList: tbsBytes, signatureAlgorithm: .ecdsaWithSHA384, signature: [1])
        }
        #expect(throws: WireError.self) {
            try CertificateList.assemble(tbsCertList: Array(tbsBytes.dropLast()), signatureAlgorithm: Self.ca.algorithm, signature: [1])
        }
    }

    @Test("100,000 entries encode and parse back")
    func largeCRL() throws {
        let count = 100_000
        var entries: [RevokedCertificate] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let serial: [UInt8] = [0x40, UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index)]
            entries.append(try RevokedCertificate(
                serialNumber: serial, revocationDate: referenceTime.addingTimeInterval(Double(index)),
                reason: index % 10 == 0 ? .keyCompromise : .unspecified))
        }
        let tbs = try Self.tbs(entries: entries)
        let tbsBytes = try tbs.derBytes()
        let der = try CertificateList.assemble(tbsCertList: tbsBytes, signatureAlgorithm: Self.ca.algorithm, signature: [0x30, 0x00])
        let parsed = try CertificateList(derEncoded: der)
        #expect(parsed.tbsCertList.revokedCertificates.count == count)
        #expect(parsed.tbsCertList.revokedCertificates.last == entries.last)
        #expect(parsed.tbsCertList.revokedCertificates[10].reason == .keyCompromise)
    }
}
