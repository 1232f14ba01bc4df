import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

@Suite struct OCSPTests {
    static let ca = TestSigner.ca

    static func certID(serial: [UInt8] = [0x01]) throws -> CertID {
        try CertID(
            hashAlgorithm: .sha1, issuerNameHash: [UInt8](repeating: 0x11, count: 20),
            issuerKeyHash: [UInt8](repeating: 0x22, count: 20), serialNumber: serial)
    }

    static var keyHash: [UInt8] { ca.subjectKeyIdentifier }  // SHA-1 of the subjectPublicKey bits

    @Test("CertID: exact bytes from the grammar, and back")
    func certIDBytes() throws {
        let expected: [UInt8] = [0x30, 0x38, 0x30, 0x07, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x04, 0x14]
            + [UInt8](repeating: 0x11, count: 20) + [0x04, 0x14] + [UInt8](repeating: 0x22, count: 20) + [0x02, 0x01, 0x01]
        let certID = try Self.certID()
        #expect(try certID.derBytes() == expected)
        #expect(try CertID(derEncoded: expected) == certID)
    }

    @Test("CertID hashes must have one non-zero length")
    func certIDHashes() throws {
        #expect(throws: WireError.self) {
            try CertID(hashAlgorithm: .sha256, issuerNameHash: [1], issuerKeyHash: [1, 2], serialNumber: [1])
        }
    }

    @Test("RevokedInfo: exact bytes from the grammar")
    func revokedInfoBytes() throws {
        let info = try RevokedInfo(revocationTime: referenceTime, revocationReason: .keyCompromise)
        let expected: [UInt8] = [0x30, 0x16, 0x18, 0x0F] + Array("20231114221320Z".utf8) + [0xA0, 0x03, 0x0A, 0x01, 0x01]
        #expect(try info.derBytes() == expected)
        #expect(try RevokedInfo(derEncoded: expected) == info)
        // As a CertStatus it is IMPLICIT [1]: only the identifier octet changes.
        #expect(try CertStatus.revoked(info).derBytes() == [0xA1] + expected.dropFirst())
        #expect(try CertStatus.good.derBytes() == [0x80, 0x00])
        #expect(try CertStatus.unknown.derBytes() == [0x82, 0x00])
    }

    @Test("SingleResponse round-trips for each status", arguments: [
        CertStatus.good, .unknown, .revoked(try! RevokedInfo(revocationTime: referenceTime, revocationReason: nil)),
        .revoked(try! RevokedInfo(revocationTime: referenceTime, revocationReason: .cACompromise)),
    ])
    func singleResponse(status: CertStatus) throws {
        for nextUpdate in [nil, referenceTime.addingTimeInterval(3_600)] {
            let response = try SingleResponse(
                certID: Self.certID(), certStatus: status, thisUpdate: referenceTime, nextUpdate: nextUpdate)
            #expect(try SingleResponse(derEncoded: response.derBytes()) == response)
        }
    }

    @Test("ResponseData round-trips, byKey and byName, with a nonce echo; version is not written")
    func responseData() throws {
        let nonce = try OCSPNonce.extensionValue(nonce: [UInt8](repeating: 0xAB, count: 16))
        for responder in [ResponderID.byKey(Self.keyHash), .byName(Self.ca.certificate.subject)] {
            let data = try ResponseData(
                responderID: responder, producedAt: referenceTime.addingTimeInterval(0.9),
                responses: [SingleResponse(certID: Self.certID(), certStatus: .good, thisUpdate: referenceTime, nextUpdate: nil)],
                responseExtensions: [OCSPNonce.makeExtension(echoing: nonce)])
            let bytes = try data.derBytes()
            let parsed = try ResponseData(derEncoded: bytes)
            #expect(parsed == data)
            #expect(parsed.nonce == nonce)
            #expect(parsed.producedAt == referenceTime)
            #expect(try firstChild(of: bytes) == (responder == .byKey(Self.keyHash) ? 0xA2 : 0xA1))  // no [0] version first
            #expect(bytes.containsSubsequence(Array("20231114221320Z".utf8)))
        }
    }

    @Test("a signed BasicOCSPResponse inside an OCSPResponse round-trips and verifies")
    func basicResponse() throws {
        let data = try ResponseData(
            responderID: .byKey(Self.keyHash), producedAt: referenceTime,
            responses: [SingleResponse(certID: Self.certID(), certStatus: .good, thisUpdate: referenceTime, nextUpdate: referenceTime.addingTimeInterval(86_400))])
        let tbs = try data.derBytes()
        let signature = try Self.ca.sign(tbs)
        let basic = try BasicOCSPResponse(tbsResponseData: tbs, signatureAlgorithm: Self.ca.algorithm, signature: signature, certs: [Self.ca.certificate])
        let response = try OCSPResponse(basicResponse: basic)
        let der = try response.derBytes()

        let parsed = try OCSPResponse(derEncoded: der)
        #expect(parsed == response)
        #expect(parsed.responseStatus == .successful)
        #expect(parsed.responseBytes?.responseType == .OCSPObjectID.basicResponse)
        let parsedBasic = try #require(try parsed.basicResponse())
        #expect(parsedBasic == basic)
        #expect(parsedBasic.tbsResponseData == data)
        #expect(parsedBasic.certs == [Self.ca.certificate])
        let ecdsa = try P256.Signing.ECDSASignature(derRepresentation: parsedBasic.signature)
        #expect(Self.ca.key.publicKey.isValidSignature(ecdsa, for: parsedBasic.tbsResponseDataBytes))
        #expect(try BasicOCSPResponse(tbsResponseData: data, signatureAlgorithm: Self.ca.algorithm, signature: signature, certs: [Self.ca.certificate]) == basic)
    }

    @Test("error responses carry the status alone: exact bytes", arguments: [
        (OCSPResponseStatus.malformedRequest, UInt8(1)), (.internalError, 2), (.tryLater, 3), (.sigRequired, 5), (.unauthorized, 6),
    ])
    func errorResponses(status: OCSPResponseStatus, value: UInt8) throws {
        let response = try OCSPResponse.unsuccessful(status)
        #expect(try response.derBytes() == [0x30, 0x03, 0x0A, 0x01, value])
        #expect(try OCSPResponse(derEncoded: [0x30, 0x03, 0x0A, 0x01, value]) == response)
        #expect(try response.basicResponse() == nil)
    }

    @Test("responseBytes accompany a successful status and only that (RFC 6960 §4.2.1)")
    func responseInvariant() throws {
        #expect(throws: WireError.self) { try OCSPResponse.unsuccessful(.successful) }
        #expect(throws: WireError.self) {
            try OCSPResponse(responseStatus: .tryLater, responseBytes: ResponseBytes(responseType: .OCSPObjectID.basicResponse, response: [0x30, 0x00]))
        }
        #expect(throws: (any Error).self) { try OCSPResponse(derEncoded: [0x30, 0x03, 0x0A, 0x01, 0x00]) }  // successful, no bytes
        #expect(throws: (any Error).self) { try OCSPResponse(derEncoded: [0x30, 0x03, 0x0A, 0x01, 0x04]) }  // 4 is unused
    }

    @Test("an OCSPRequest built here round-trips, nonce included")
    func requestRoundTrip() throws {
        let nonce = try OCSPNonce.extensionValue(nonce: Array(0..<32))
        let request = OCSPRequest(tbsRequest: try TBSRequest(
            requestorName: .directoryName(Self.ca.certificate.subject),
            requestList: [Request(reqCert: Self.certID(serial: [0x80, 0x00])), Request(reqCert: Self.certID(serial: [0x02]))],
            requestExtensions: [Certificate.Extension(oid: OCSPNonce.oid, critical: false, value: nonce[...])]))
        let parsed = try OCSPRequest(derEncoded: request.derBytes(), maximumRequests: 2)
        #expect(parsed == request)
        #expect(parsed.tbsRequest.nonce == nonce)
        #expect(try OCSPNonce.validate(extensionValue: #require(parsed.tbsRequest.nonce)) == Array(0..<32))
    }

    @Test("requests over the cap are refused before they are decoded")
    func requestCap() throws {
        let requests = try (1...3).map { try Request(reqCert: Self.certID(serial: [UInt8($0)])) }
        let bytes = try OCSPRequest(tbsRequest: TBSRequest(requestList: requests)).derBytes()
        #expect(try OCSPRequest(derEncoded: bytes, maximumRequests: 3).tbsRequest.requestList.count == 3)
        #expect(throws: WireError.self) { try OCSPRequest(derEncoded: bytes, maximumRequests: 2) }
        #expect(throws: WireError.self) { try OCSPRequest(derEncoded: bytes, maximumRequests: 0) }
    }

    @Test("a signed request is accepted and its signature ignored")
    func signedRequest() throws {
        let tbs = try TBSRequest(requestList: [Request(reqCert: Self.certID())])
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(tbs)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(AlgorithmIdentifier.ecdsaWithSHA256)
                    try coder.serialize(ASN1BitString(bytes: [1, 2, 3]))
                }
            }
        }
        let parsed = try OCSPRequest(derEncoded: serializer.serializedBytes, maximumRequests: 1)
        #expect(parsed.isSigned)
        #expect(parsed.tbsRequest == tbs)
    }

    @Test("RFC 8954 nonces: 1 to 32 octets inside an OCTET STRING", arguments: [
        ([0x04, 0x01, 0x00], true), ([0x04, 0x00], false), ([0x04, 0x21] + [UInt8](repeating: 7, count: 33), false),
        ([0x04, 0x20] + [UInt8](repeating: 7, count: 32), true), ([0x01, 0x02, 0x03], false), ([0x02, 0x01, 0x05], false), ([], false),
    ] as [([UInt8], Bool)])
    func nonceValidation(value: [UInt8], valid: Bool) throws {
        if valid {
            #expect(try OCSPNonce.validate(extensionValue: value).count == value.count - 2)
        } else {
            #expect(throws: WireError.self) { try OCSPNonce.validate(extensionValue: value) }
        }
    }
}

/// The elements inside the constructed encoding `bytes`.
func children(of bytes: [UInt8]) throws -> [ASN1Node] {
    guard case .constructed(let children) = try DER.parse(bytes).content else { return [] }
    return Array(children)
}

/// The identifier octet of the first element inside the constructed encoding `bytes`.
func firstChild(of bytes: [UInt8]) throws -> UInt8? {
    try children(of: bytes).first?.encodedBytes.first
}

extension Array where Element: Equatable {
    func containsSubsequence(_ needle: [Element]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}
