import Crypto
import Foundation
@testable import SignetCore
import SwiftASN1
import Testing
import X509

/// Pure issuance logic: serials, CSR checks, certificate building and lint-before-sign. Keys here are
/// in-memory swift-crypto keys standing in for the subject's own key and a throwaway issuer; the HSM
/// and store paths are exercised in SignetRuntimeTests and InteropTests.
@Suite struct IssuanceLogicTests {
    static let profiles: ProfileSet = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let dir = url.path + "/Profiles"
        let list = try! FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") && $0 != CIIdentityPolicyParser.fileName }.map {
            try! ProfileParser.parse(yaml: String(contentsOfFile: dir + "/" + $0, encoding: .utf8), file: $0)
        }
        return try! ProfileSet(list)
    }()

    static let urls = try! AuthorityURLs(baseURL: "http://127.0.0.1:8080/")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A throwaway CA certificate made with the real builder, self-signed by an in-memory key.
    static func issuer() throws -> (Certificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let profile = try profiles.profile(named: "issuing-ca")
        let subject = try profile.subject.render(.init(generation: 1, profile: profile.name))
        let blueprint = CertificateBlueprint(
            profile: try profiles.profile(named: "root-ca"), serial: SerialNumberGenerator().next(), subject: subject,
            subjectKey: Certificate.PublicKey(key.publicKey), notBefore: now, notAfter: now + 86_400 * 365, issuerCertificate: nil,
            issuerName: "", signatureAlgorithm: .ecdsaWithSHA256, urls: urls)
        let unsigned = try CertificateBuilder.unsigned(blueprint)
        let signature = try key.signature(for: Array(unsigned.tbsCertificateBytes))
        return (try Certificate(derEncoded: CertificateBuilder.assemble(tbs: Array(unsigned.tbsCertificateBytes), signatureAlgorithm: .ecdsaWithSHA256, signature: Array(signature.derRepresentation))), key)
    }

    static func leafBlueprint(issuer: Certificate, profile name: String = "prerelease-codesign") throws -> CertificateBlueprint {
        let profile = try profiles.profile(named: name)
        return CertificateBlueprint(
            profile: profile, serial: SerialNumberGenerator().next(),
            subject: try profile.subject.render(.init(team: "payments", requester: "alice", release: "1.0", generation: 1, profile: profile.name)),
            subjectKey: Certificate.PublicKey(P256.Signing.PrivateKey().publicKey), notBefore: now, notAfter: now + 86_400,
            issuerCertificate: issuer, issuerName: "issuing-ca-1", signatureAlgorithm: .ecdsaWithSHA256, urls: urls)
    }

    @Test("serials are 20 octets, positive, and unique over 10,000 draws")
    func serials() {
        let generator = SerialNumberGenerator()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let serial = generator.next()
            #expect(serial.bytes.count == 20)
            #expect(serial.bytes.first! & 0x80 == 0 && serial.bytes.first! != 0)
            seen.insert(serial.hex)
            #expect(Hex.decode(serial.hex) == Array(serial.bytes))
        }
        #expect(seen.count == 10_000)
        #expect([0x00, 0x0f, 0xa5, 0xff].hexString == "000fa5ff")
        #expect([UInt8]().hexString == "")
    }

    @Test("a serial is accepted as people paste it: either case, colons between octets, the leading zero nibble dropped")
    func serialForms() throws {
        let stored = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
        for pasted in [stored, stored.uppercased(), "A1B2C3D4E5F60718293A4B5C6D7E8F901234567",
                       "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:01:23:45:67", "A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:01:23:45:67"] {
            #expect(try Hex.serial(pasted) == stored, "\(pasted)")
        }
        #expect(try Hex.serial("1") == "01")
        for bad in ["", ":", "0a:", ":0a", "0a::1b", "0a:1b2", "zz", "0x0a", "0a 1b", String(repeating: "ab", count: 21),
                    String(repeating: "ab:", count: 20) + "ab", "é", String(repeating: "a", count: 10_000)] {
            #expect(throws: SignetError.self, "\(bad.prefix(40))") { try Hex.serial(bad) }
        }
    }

    @Test("a leaf built from the profile passes lint and carries the DESIGN.md extensions")
    func leafPassesLint() throws {
        let (issuer, issuerKey) = try Self.issuer()
        let unsigned = try CertificateBuilder.unsigned(try Self.leafBlueprint(issuer: issuer))
        let findings = CertificateLinter().lint(unsigned, profile: try Self.profiles.profile(named: "prerelease-codesign"), issuer: issuer)
        #expect(findings.isEmpty, "\(findings)")
        let ext = unsigned.extensions
        #expect(try ext.basicConstraints == .notCertificateAuthority)
        #expect(try ext.keyUsage?.digitalSignature == true)
        #expect(try Array(ext.extendedKeyUsage!) == [.codeSigning])
        #expect(ext[oid: .X509ExtensionID.keyUsage]?.critical == true)
        let aia = try #require(try ext.authorityInformationAccess)
        #expect(Array(aia).map(\.location) == [.uniformResourceIdentifier("http://127.0.0.1:8080/ocsp"), .uniformResourceIdentifier("http://127.0.0.1:8080/ca/issuing-ca-1.crt")])
        let cdp = try CRLDistributionPointsReader.uris(ext)
        #expect(cdp == ["http://127.0.0.1:8080/crl/issuing-ca-1.crl"])
        // The signed certificate is the same TBS with the issuer's signature around it.
        let tbs = Array(unsigned.tbsCertificateBytes)
        let der = try CertificateBuilder.assemble(tbs: tbs, signatureAlgorithm: .ecdsaWithSHA256, signature: Array(try issuerKey.signature(for: tbs).derRepresentation))
        let signed = try Certificate(derEncoded: der)
        #expect(Array(signed.tbsCertificateBytes) == tbs)
        #expect(issuer.publicKey.isValidSignature(signed.signature, for: signed))
        // The DER handed back is the certificate's own encoding, so it can be stored and sent as is.
        #expect(der == signed.derBytes)
    }

    @Test("lint catches a validity beyond the profile and an issuer mismatch")
    func lintCatchesProblems() throws {
        let (issuer, _) = try Self.issuer()
        var blueprint = try Self.leafBlueprint(issuer: issuer)
        blueprint.notAfter = blueprint.notBefore + 8 * 86_400
        let tooLong = CertificateLinter().lint(try CertificateBuilder.unsigned(blueprint), profile: blueprint.profile, issuer: issuer)
        #expect(tooLong.map(\.rule) == ["validity"])

        let (otherIssuer, _) = try Self.issuer()
        let fine = try CertificateBuilder.unsigned(try Self.leafBlueprint(issuer: issuer))
        let mismatched = CertificateLinter().lint(fine, profile: blueprint.profile, issuer: otherIssuer)
        #expect(mismatched.map(\.rule).contains("key-identifiers"))

        // A code-signing certificate checked against the timestamping profile breaks several rules.
        let wrongProfile = CertificateLinter().lint(fine, profile: try Self.profiles.profile(named: "timestamping"), issuer: issuer)
        #expect(Set(wrongProfile.map(\.rule)).isSuperset(of: ["extended-key-usage", "policies"]))
    }

    @Test("an OCSP-signer certificate carries ocsp-nocheck and no CDP")
    func ocspSigner() throws {
        let (issuer, _) = try Self.issuer()
        let unsigned = try CertificateBuilder.unsigned(try Self.leafBlueprint(issuer: issuer, profile: "ocsp-signer"))
        #expect(CertificateLinter().lint(unsigned, profile: try Self.profiles.profile(named: "ocsp-signer"), issuer: issuer).isEmpty)
        #expect(unsigned.extensions[oid: [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]] != nil)
        #expect(unsigned.extensions[oid: [2, 5, 29, 31]] == nil)
    }

    @Test("CSRs: garbage, truncated and wrongly signed ones are refused with the reason")
    func csrInput() throws {
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("dev") }, privateKey: .init(key), attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256)
        let der = try csr.derBytes()
        let pem = try csr.serializeAsPEM().pemString
        #expect(try CSRInput.parse(der).publicKey == Certificate.PublicKey(key.publicKey))
        #expect(try CSRInput.parse(Array(pem.utf8)).publicKey == Certificate.PublicKey(key.publicKey))
        #expect(try CSRInput.parse(Array(" \r\n\t\(pem)".utf8)).publicKey == Certificate.PublicKey(key.publicKey))
        #expect { try CSRInput.parse(Array("x\(pem)".utf8)) } throws: { ($0 as? SignetError)?.code == .malformedInput }

        #expect { try CSRInput.parse([]) } throws: { ($0 as? SignetError)?.code == .malformedInput }
        #expect { try CSRInput.parse(Array("hello".utf8)) } throws: { ($0 as? SignetError)?.code == .malformedInput }
        #expect { try CSRInput.parse(Array(der.prefix(der.count / 2))) } throws: { ($0 as? SignetError)?.code == .malformedInput }
        #expect { try CSRInput.parse(Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)) } throws: { ($0 as? SignetError)?.code == .malformedInput }
        var tampered = der
        tampered[tampered.count - 3] ^= 0x01  // inside the signature value
        #expect { try CSRInput.parse(tampered) } throws: { ($0 as? SignetError)?.code == .badSignature || ($0 as? SignetError)?.code == .malformedInput }
        // Change the subject instead: the DER stays valid, the signature no longer matches.
        let other = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("dew") }, privateKey: .init(key), attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        var swapped = try other.derBytes()
        if let index = swapped.firstIndex(of: UInt8(ascii: "w")) { swapped[index] = UInt8(ascii: "v") }
        #expect { try CSRInput.parse(swapped) } throws: { ($0 as? SignetError)?.code == .badSignature }
    }

    @Test("access policy: roles, teams and admins")
    func access() throws {
        let profile = try Self.profiles.profile(named: "prerelease-codesign")
        let dev = Principal(name: "alice", role: .developer, team: "payments")
        #expect(throws: Never.self) { try AccessPolicy.checkIssue(dev, profile: profile, team: "payments") }
        #expect { try AccessPolicy.checkIssue(dev, profile: profile, team: "search") } throws: { ($0 as? SignetError)?.code == .forbidden }
        let auditor = Principal(name: "eve", role: .auditor, team: nil)
        #expect { try AccessPolicy.checkIssue(auditor, profile: profile, team: nil) } throws: { ($0 as? SignetError)?.code == .forbidden }
        #expect { try AccessPolicy.checkRevoke(auditor) } throws: { ($0 as? SignetError)?.code == .forbidden }
        #expect(throws: Never.self) { try AccessPolicy.checkRevoke(dev) }
        #expect(throws: Never.self) { try AccessPolicy.checkRead(auditor, team: "search") }
        #expect { try AccessPolicy.checkRead(dev, team: "search") } throws: { ($0 as? SignetError)?.code == .forbidden }
    }

    @Test("revocation: developers and ci revoke what they requested, with a subscriber's reason; admins anything; auditors nothing")
    func revocationAccess() throws {
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        func certificate(requester: String, team: String?) -> CertificateRecord {
            CertificateRecord(serial: "0a1b", issuer: "issuing-ca-1", profile: "prerelease-codesign", subject: "CN=x", team: team, release: nil,
                              requester: requester, keyID: nil, notBefore: now, notAfter: now + 86_400, status: .valid, der: nil, createdAt: now)
        }
        let alice = Principal(name: "alice", role: .developer, team: "payments")
        let pipeline = Principal(name: "pipeline", role: .ci, team: "payments")
        let admin = Principal(name: "ops", role: .admin, team: nil)
        let auditor = Principal(name: "eve", role: .auditor, team: nil)
        let own = certificate(requester: "alice", team: "payments")
        for reason in AccessPolicy.subscriberRevocationReasons {
            #expect(throws: Never.self) { try AccessPolicy.checkRevoke(alice, certificate: own, reason: reason) }
        }
        let refusals: [(Principal, CertificateRecord, RevocationReason)] = [
            (alice, certificate(requester: "bob", team: "payments"), .keyCompromise),       // a teammate's
            (alice, certificate(requester: "alice", team: "search"), .keyCompromise),       // same name, other team
            (pipeline, own, .superseded),                                                   // ci, not the requester
            (alice, own, .privilegeWithdrawn),                                              // a CA's reason
            (auditor, own, .keyCompromise),
        ]
        for (principal, record, reason) in refusals {
            #expect { try AccessPolicy.checkRevoke(principal, certificate: record, reason: reason) } throws: { ($0 as? SignetError)?.code == .forbidden }
        }
        #expect(throws: Never.self) { try AccessPolicy.checkRevoke(admin, certificate: own, reason: .privilegeWithdrawn) }
        #expect(throws: Never.self) { try AccessPolicy.checkRevoke(pipeline, certificate: certificate(requester: "pipeline", team: "payments"), reason: .cessationOfOperation) }
    }

    @Test("audit chain: intact chains verify, edits, deletions and reorders are named")
    func auditChain() {
        var entries: [AuditEntry] = []
        var previous = AuditChain.genesis
        for i in 1...5 {
            let event = AuditEvent(time: Self.now + Double(i), actor: "alice", role: "admin", action: "certificate.issue", target: "serial\(i)", details: ["k": "v\(i)"])
            let hash = AuditChain.hash(sequence: Int64(i), event: event, previousHash: previous)
            entries.append(AuditEntry(sequence: Int64(i), event: event, previousHash: previous, hash: hash))
            previous = hash
        }
        #expect(AuditChain.firstBreak(in: entries) == nil)
        var edited = entries
        edited[2].event.details["k"] = "forged"
        #expect(AuditChain.firstBreak(in: edited)?.0.sequence == 3)
        var deleted = entries
        deleted.remove(at: 1)
        #expect(AuditChain.firstBreak(in: deleted)?.0.sequence == 3)
        var reordered = entries
        reordered.swapAt(3, 4)
        #expect(AuditChain.firstBreak(in: reordered)?.0.sequence == 5)
    }
}

/// Reads CDP URIs back through the wire type.
enum CRLDistributionPointsReader {
    static func uris(_ extensions: Certificate.Extensions) throws -> [String] {
        guard let ext = extensions[oid: [2, 5, 29, 31]] else { return [] }
        return try SignetWireCDP(derEncoded: ext.value).uris
    }
}

import SignetWire
typealias SignetWireCDP = CRLDistributionPoints

@Suite struct CanonicalJSONTests {
    @Test("canonical JSON strings parse back to the same text, control characters and Unicode included", arguments: [
        "plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{01}\u{1f}", "ünïcödé ✓ 🔏", "-----BEGIN CERTIFICATE-----\nMIIB/+==\n-----END CERTIFICATE-----",
        "\n", "\"\"", "\\\n\u{07}", "ends with a newline\n", "\nstarts with one", "a\"b\\c\nd\u{1b}e ✓",
    ])
    func roundTrip(text: String) throws {
        let encoded = CanonicalJSON.array([text])
        let decoded = try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String]
        #expect(decoded == [text])
        #expect(CanonicalJSON.object(["b": "2", "a": text]).hasPrefix("{\"a\":"))
    }
}

/// RFC 3339 timestamps written by arithmetic, judged against glibc's gmtime_r over four centuries.
@Suite struct ISO8601Tests {
    static func gmtime(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    @Test("every day from 1800 to 2200, leap days and 100/400-year rules included, and 20,000 random instants, match gmtime_r")
    func matchesGmtime() {
        var generator = SystemRandomNumberGenerator()
        // Every day, at a time that moves through the day so hours, minutes and seconds vary too.
        for day in Int64(-62_091)...Int64(84_006) {
            let seconds = day * 86_400 + (day * 7_919) % 86_400
            #expect(ISO8601.string(Date(timeIntervalSince1970: Double(seconds))) == Self.gmtime(seconds))
        }
        for _ in 0..<20_000 {
            let seconds = Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator)
            // Whole seconds are what gmtime_r sees: take them from the Date itself, since adding a fraction
            // close to 1 to a large Double can round up to the next second.
            let date = Date(timeIntervalSince1970: Double(seconds) + Double.random(in: 0..<1, using: &generator))
            #expect(ISO8601.string(date) == Self.gmtime(Int64(date.timeIntervalSince1970.rounded(.down))))
        }
        #expect(ISO8601.string(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(ISO8601.string(Date(timeIntervalSince1970: 1e15)) == "9999-12-31T23:59:59Z")
    }
}

/// The r ‖ s → DER conversion behind every HSM ECDSA signature, judged against swift-crypto's.
@Suite struct ECDSASignatureEncodingTests {
    @Test("raw r ‖ s becomes the same DER Ecdsa-Sig-Value swift-crypto writes, for P-256 and P-384, with short and high-bit integers")
    func matchesSwiftCrypto() throws {
        var raws: [[UInt8]] = (0..<300).map { _ in (0..<64).map { _ in UInt8.random(in: 0...255) } }
        raws.append([UInt8](repeating: 0, count: 31) + [1] + [0x80] + [UInt8](repeating: 0xff, count: 31))  // r = 1, s with the top bit set
        raws.append([0, 0, 0x7f] + [UInt8](repeating: 0x11, count: 29) + [0, 0x80] + [UInt8](repeating: 0x22, count: 30))
        for raw in raws {
            #expect(ECDSASignatureEncoding.der(fromRaw: raw) == Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation))
        }
        for _ in 0..<100 {
            let raw = (0..<96).map { _ in UInt8.random(in: 0...255) }
            #expect(ECDSASignatureEncoding.der(fromRaw: raw) == Array(try P384.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation))
        }
        // A real signature made through this path verifies.
        let key = P256.Signing.PrivateKey()
        let message = Array("signet".utf8)
        let raw = Array(try key.signature(for: message).rawRepresentation)
        let der = try #require(ECDSASignatureEncoding.der(fromRaw: raw))
        #expect(key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: der), for: message))
        #expect(ECDSASignatureEncoding.der(fromRaw: []) == nil && ECDSASignatureEncoding.der(fromRaw: [1, 2, 3]) == nil)
    }
}
