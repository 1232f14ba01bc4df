import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

/// Requests made by the real OpenSSL CLI (Fixtures/README.md), read by SignetWire.
@Suite struct OpenSSLFixtureTests {
    static func issuerHashes(_ algorithm: AlgorithmIdentifier) throws -> (name: [UInt8], key: [UInt8]) {
        let ca = try Fixtures.certificate("ca.pem")
        let name = try ca.subject.derBytes()
        let key = Array(ca.publicKey.subjectPublicKeyInfoBytes)
        if algorithm.matches(.sha256) {
            return (Array(SHA256.hash(data: name)), Array(SHA256.hash(data: key)))
        }
        return (Array(Insecure.SHA1.hash(data: name)), Array(Insecure.SHA1.hash(data: key)))
    }

    @Test("OpenSSL OCSP requests parse: hash algorithm, issuer hashes, serial, nonce", arguments: [
        ("ocsp-request-sha1-no-nonce.der", AlgorithmIdentifier.sha1, false),
        ("ocsp-request-sha1-nonce.der", .sha1, true),
        ("ocsp-request-sha256-nonce.der", .sha256, true),
    ])
    func ocspRequest(file: String, algorithm: AlgorithmIdentifier, hasNonce: Bool) throws {
        let bytes = try Fixtures.bytes(file)
        let request = try OCSPRequest(derEncoded: bytes, maximumRequests: 1)
        #expect(!request.isSigned)
        let certID = try #require(request.tbsRequest.requestList.first).reqCert
        #expect(certID.hashAlgorithm.matches(algorithm))
        let (nameHash, keyHash) = try Self.issuerHashes(algorithm)
        #expect(certID.issuerNameHash == nameHash)
        #expect(certID.issuerKeyHash == keyHash)
        let leaf = try Fixtures.certificate("leaf.pem")
        #expect(certID.serialNumber == Array(leaf.serialNumber.bytes))
        #expect(certID.serialNumber == [UInt8](hex: "8A6F3C0D5E1B2A4978C6D5E4F3A2B1C0D9E8F701"))
        if hasNonce {
            let nonce = try #require(request.tbsRequest.nonce)
            #expect(nonce.first == 0x04)  // OpenSSL: an OCTET STRING inside extnValue
            #expect(try OCSPNonce.validate(extensionValue: nonce).count == 16)
        } else {
            #expect(request.tbsRequest.nonce == nil)
        }
        // Unsigned requests re-encode to exactly the bytes OpenSSL sent (CertIDs are echoed).
        #expect(try request.derBytes() == bytes)
    }

    @Test("an OpenSSL request for two certificates parses, and a cap of one refuses it")
    func twoCertificates() throws {
        let bytes = try Fixtures.bytes("ocsp-request-two-certs.der")
        let request = try OCSPRequest(derEncoded: bytes, maximumRequests: 2)
        #expect(request.tbsRequest.requestList.map(\.reqCert.serialNumber) == [
            Array(try Fixtures.certificate("leaf.pem").serialNumber.bytes), [0x12, 0x34],
        ])
        #expect(throws: WireError.self) { try OCSPRequest(derEncoded: bytes, maximumRequests: 1) }
    }

    @Test("OpenSSL time-stamp queries parse: imprint, nonce, certReq, policy", arguments: [
        ("ts-query-sha256-cert.tsq", AlgorithmIdentifier.sha256, true, true, nil),
        ("ts-query-sha256-no-nonce.tsq", .sha256, false, false, nil),
        ("ts-query-sha512-policy.tsq", .sha512, true, false, [1, 3, 6, 1, 4, 1, 99999, 1, 2]),
    ] as [(String, AlgorithmIdentifier, Bool, Bool, ASN1ObjectIdentifier?)])
    func timeStampQuery(file: String, algorithm: AlgorithmIdentifier, hasNonce: Bool, certReq: Bool, policy: ASN1ObjectIdentifier?) throws {
        let bytes = try Fixtures.bytes(file)
        let request = try TimeStampReq(derEncoded: bytes)
        let data = try Fixtures.bytes("data.txt")
        #expect(request.messageImprint.hashAlgorithm.matches(algorithm))
        let digest = algorithm.matches(.sha512) ? Array(SHA512.hash(data: data)) : Array(SHA256.hash(data: data))
        #expect(request.messageImprint.hashedMessage == digest)
        #expect((request.nonce != nil) == hasNonce)
        if let nonce = request.nonce { #expect((1...8).contains(nonce.count)) }  // OpenSSL sends 64 bits
        #expect(request.certReq == certReq)
        #expect(request.reqPolicy == policy)
        #expect(request.extensions.isEmpty)
        #expect(try request.derBytes() == bytes)
    }
}
