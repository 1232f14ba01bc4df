import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

/// The PKCS #12 writer judged by the tools that read keystores: `openssl pkcs12` (MAC, PBES2, the key
/// and certificates inside) and Java's `keytool` (what jarsigner loads), plus the PKCS #12 KDF
/// against OpenSSL's own implementation of it.
@Suite struct PKCS12Tests {
    /// A code-signing leaf issued by the wire tests' CA, and its key.
    static let leaf: (key: P256.Signing.PrivateKey, certificate: Certificate) = {
        let key = P256.Signing.PrivateKey()
        let certificate = try! Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x5C, 0x12]), publicKey: .init(key.publicKey),
            notValidBefore: referenceTime, notValidAfter: referenceTime + 86_400 * 3650, issuer: TestSigner.ca.certificate.subject,
            subject: try! DistinguishedName { CommonName("pkcs12 test leaf") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try! Certificate.Extensions([
                Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
                Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
                Certificate.Extension(ExtendedKeyUsage([.codeSigning]), critical: false),
            ]),
            issuerPrivateKey: Certificate.PrivateKey(TestSigner.ca.key))
        return (key, certificate)
    }()

    /// Java reads PBES2 keystores only under ASCII passwords (`signet request` refuses others); the KDF
    /// is also checked with a password outside ASCII, where the BMPString form matters.
    static let password = "pw-\(UUID().uuidString.prefix(8))"
    static let unicodePassword = "Prüfung-\(UUID().uuidString.prefix(8))"

    static func keystore(iterations: Int = 2048, password: String = password) throws -> [UInt8] {
        try PKCS12Builder.build(privateKey: Array(leaf.key.derRepresentation), certificates: [try leaf.certificate.derBytes, try TestSigner.ca.certificate.derBytes],
                                friendlyName: "dev", password: password, iterations: iterations)
    }

    @Test("the PKCS #12 KDF gives what OpenSSL's PKCS12KDF gives, one block and several", arguments: [(3, 32, 2048), (1, 80, 3), (2, 16, 1)])
    func kdfMatchesOpenSSL(purpose: Int, count: Int, iterations: Int) throws {
        let salt: [UInt8] = (0..<20).map { UInt8($0 * 7 & 0xff) }
        let ours = try PKCS12KeyDerivation.derive(password: Self.unicodePassword, salt: salt, iterations: iterations,
                                                  purpose: try #require(PKCS12KeyDerivation.Purpose(rawValue: UInt8(purpose))), count: count)
        // OpenSSL's KDF takes the password already in the BMPString form of RFC 7292 Appendix B.1.
        let theirs = try OpenSSL.run(["kdf", "-keylen", "\(count)", "-kdfopt", "digest:SHA256", "-kdfopt", "hexpass:\(PKCS12KeyDerivation.formatPassword(Self.unicodePassword).hex)",
                                      "-kdfopt", "hexsalt:\(salt.hex)", "-kdfopt", "iter:\(iterations)", "-kdfopt", "id:\(purpose)", "PKCS12KDF"])
        #expect(theirs.succeeded, "\(theirs.output)")
        #expect(ours.hex == theirs.output.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }

    @Test("openssl pkcs12 verifies the MAC, decrypts the PBES2 key and finds both certificates; a wrong password is refused")
    func openSSLReadsIt() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write("dev.p12", try Self.keystore(password: Self.unicodePassword))
        let passwordFile = try scratch.write("password", Self.unicodePassword + "\n")
        let info = try OpenSSL.run(["pkcs12", "-info", "-in", file, "-passin", "file:\(passwordFile)", "-nodes"])
        #expect(info.succeeded, "\(info.output)")
        #expect(info.output.contains("MAC: sha256, Iteration 2048"), "\(info.output)")
        #expect(info.output.contains("PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"), "\(info.output)")
        #expect(info.output.contains("friendlyName: dev"))

        let keyFile = scratch.path("key.pem"), certsFile = scratch.path("certs.pem")
        #expect(try OpenSSL.run(["pkcs12", "-in", file, "-passin", "file:\(passwordFile)", "-nocerts", "-nodes", "-out", keyFile]).succeeded)
        let spki = try OpenSSL.run(["pkey", "-in", keyFile, "-pubout"])
        #expect(try P256.Signing.PublicKey(pemRepresentation: spki.output).rawRepresentation == Self.leaf.key.publicKey.rawRepresentation)
        #expect(try OpenSSL.run(["pkcs12", "-in", file, "-passin", "file:\(passwordFile)", "-nokeys", "-out", certsFile]).succeeded)
        let certificates = try PEMDocument.parseMultiple(pemString: String(contentsOfFile: certsFile, encoding: .utf8)).map { try Certificate(pemDocument: $0) }
        #expect(Set(certificates) == [Self.leaf.certificate, TestSigner.ca.certificate])

        let wrong = try scratch.write("wrong", "not the password\n")
        let refused = try OpenSSL.run(["pkcs12", "-info", "-in", file, "-passin", "file:\(wrong)", "-nodes"])
        #expect(!refused.succeeded && refused.output.contains("Mac verify error"), "\(refused.output)")
    }

    @Test("keytool (what jarsigner loads) sees one private key entry under the alias, with its two-certificate chain")
    func javaReadsIt() throws {
        let keytool = ["/usr/bin/keytool", "/usr/local/bin/keytool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write("dev.p12", try Self.keystore())
        let passwordFile = try scratch.write("password", Self.password + "\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(keytool, "keytool is installed with the JDK (scripts/install-deps.sh)"))
        process.arguments = ["-list", "-v", "-keystore", file, "-storetype", "PKCS12", "-storepass:file", passwordFile]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("Your keystore contains 1 entry"), "\(output)")
        #expect(output.contains("Alias name: dev") && output.contains("Entry type: PrivateKeyEntry"), "\(output)")
        #expect(output.contains("Certificate chain length: 2"), "\(output)")
    }

    @Test("round trip: the PFX decodes to what was written, its MAC verifies only with the password, bags are linked by localKeyId")
    func roundTrip() throws {
        let der = try Self.keystore(iterations: 1000)
        let pfx = try PFX(derEncoded: der)
        #expect(try pfx.derBytes() == der)
        #expect(try PKCS12Builder.macVerifies(pfx, password: Self.password))
        #expect(try !PKCS12Builder.macVerifies(pfx, password: Self.password + "x"))
        let safes = try pfx.safeContents()
        #expect(safes.count == 2)
        #expect(try safes[0].map { try $0.certificateDER() } == [try Self.leaf.certificate.derBytes, try TestSigner.ca.certificate.derBytes])
        let keyBag = try #require(safes[1].first)
        #expect(keyBag.bagID == .PKCS12.pkcs8ShroudedKeyBag)
        let shrouded = try EncryptedPrivateKeyInfo(asn1Any: keyBag.bagValue)
        #expect(shrouded.encryptionAlgorithm.algorithm == .PKCS12.pbes2)
        let parameters = try PBES2Parameters(asn1Any: try #require(shrouded.encryptionAlgorithm.parameters))
        let kdf = try PBKDF2Parameters(asn1Any: try #require(parameters.keyDerivationFunc.parameters))
        #expect(kdf.iterationCount == 1000 && kdf.salt.count == 16 && kdf.prf?.algorithm == .PKCS12.hmacWithSHA256)
        #expect(keyBag.attributes == safes[0][0].attributes)
        #expect(safes[0][1].attributes.isEmpty)
        // Flipping one octet of the AuthenticatedSafe breaks the MAC.
        var tampered = pfx.authenticatedSafe
        tampered[tampered.count / 2] ^= 0x01
        #expect(try !PKCS12Builder.macVerifies(PFX(authenticatedSafe: tampered, macData: pfx.macData), password: Self.password))
    }

    @Test("invariants: no certificate, no password, or a name outside the BMP is refused before anything is written")
    func invariants() throws {
        let key = Array(Self.leaf.key.derRepresentation)
        let certificate = try Self.leaf.certificate.derBytes
        #expect(throws: WireError.self) { try PKCS12Builder.build(privateKey: key, certificates: [], friendlyName: "dev", password: "pw", iterations: 1) }
        #expect(throws: WireError.self) { try PKCS12Builder.build(privateKey: key, certificates: [certificate], friendlyName: "dev", password: "", iterations: 1) }
        #expect(throws: WireError.self) { try PKCS12Builder.build(privateKey: key, certificates: [certificate], friendlyName: "dev 🔑", password: "pw", iterations: 1) }
        #expect(throws: WireError.self) { try PKCS12KeyDerivation.derive(password: "pw", salt: [1], iterations: 0, purpose: .macKey, count: 32) }
    }
}
