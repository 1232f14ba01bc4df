import Crypto
import Foundation
@testable import SignetServer
import SignetCore
import SwiftASN1
import Testing
import X509

/// The PEM cache of CA chains in issuance responses, against what it replaces.
@Suite struct PEMCacheTests {
    @Test("the chain cache returns each certificate's PEM as a JSON string, and tells apart certificates that share a serial")
    func chainCache() throws {
        let key = P256.Signing.PrivateKey()
        func certificate(_ name: String, serial: [UInt8]) throws -> Certificate {
            let subject = try DistinguishedName { CommonName(name) }
            let now = Date()
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: .init(key.publicKey),
                notValidBefore: now, notValidAfter: now.addingTimeInterval(3600), issuer: subject, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(), issuerPrivateKey: .init(key))
        }
        let a = try certificate("a", serial: [1, 2, 3])
        let b = try certificate("b", serial: [1, 2, 3])
        let c = try certificate("c", serial: [4, 5, 6])
        let cache = PEMCache()
        for certificate in [a, b, c, a, c, b] {
            let json = cache.jsonString(for: certificate)
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as? [String]
            #expect(decoded == [PEM.encode(certificate.derBytes)])
        }
    }
}
