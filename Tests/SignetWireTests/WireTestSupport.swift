import Crypto
import Foundation
import SignetWire
import SwiftASN1
import X509

/// A fixed reference time, so every generated structure is deterministic but for ECDSA's nonce:
/// 2023-11-14T22:13:20Z.
let referenceTime = Date(timeIntervalSince1970: 1_700_000_000)

extension Array where Element == UInt8 {
    init(hex: String) {
        let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// The DER files under Fixtures/, made once with the OpenSSL CLI (see Fixtures/README.md).
enum Fixtures {
    static func url(_ name: String) throws -> URL {
        guard let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw WireError.invariant("Expected the Fixtures resource directory, got none")
        }
        return directory.appendingPathComponent(name)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(name)))
    }

    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: String(decoding: bytes(name), as: UTF8.self))
    }
}

/// A software P-256 key and self-signed certificate standing in for an HSM-held key: tests sign
/// the bytes SignetWire says to sign, exactly as Signet will through PKCS#11.
struct TestSigner {
    let key: P256.Signing.PrivateKey
    let certificate: Certificate

    var algorithm: AlgorithmIdentifier { .ecdsaWithSHA256 }

    /// A DER Ecdsa-Sig-Value over `bytes` with SHA-256.
    func sign(_ bytes: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: bytes).derRepresentation)
    }

    var subjectKeyIdentifier: [UInt8] { Array(Insecure.SHA1.hash(data: Array(certificate.publicKey.subjectPublicKeyInfoBytes))) }

    /// A self-signed certificate for `commonName` with `extensions` (plus a subject key identifier).
    static func make(commonName: String, keySeed: UInt8, extensions: [Certificate.Extension]) throws -> TestSigner {
        let key = try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: keySeed, count: 32))
        let name = try DistinguishedName {
            CountryName("XX")
            OrganizationName("Signet Test")
            CommonName(commonName)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        var all = try Certificate.Extensions(extensions)
        try all.append(Certificate.Extension(SubjectKeyIdentifier(hash: publicKey), critical: false))
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x7A, UInt8(keySeed), 0x01]), publicKey: publicKey,
            notValidBefore: Date(timeIntervalSince1970: 1_672_531_200),  // 2023-01-01
            notValidAfter: Date(timeIntervalSince1970: 4_102_358_400),  // 2099-12-31
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: all,
            issuerPrivateKey: Certificate.PrivateKey(key))
        return TestSigner(key: key, certificate: certificate)
    }

    /// A CA that signs CRLs and its own OCSP responses.
    static let ca: TestSigner = try! make(commonName: "Signet Wire Test CA", keySeed: 0x11, extensions: [
        Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true),
        Certificate.Extension(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true), critical: true),
    ])

    /// A time-stamping authority: RFC 3161 §2.3 requires a critical EKU of id-kp-timeStamping alone.
    static let tsa: TestSigner = try! make(commonName: "Signet Wire Test TSA", keySeed: 0x22, extensions: [
        Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
        Certificate.Extension(ExtendedKeyUsage([.timeStamping]), critical: true),
    ])

    /// A document signer for detached CMS signatures.
    static let documentSigner: TestSigner = try! make(commonName: "Signet Wire Test Signer", keySeed: 0x33, extensions: [
        Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
    ])
}

extension Certificate {
    var derBytes: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return serializer.serializedBytes
        }
    }

    var pem: String {
        get throws { try serializeAsPEM().pemString }
    }
}

/// The real OpenSSL CLI, judging what SignetWire writes.
enum OpenSSL {
    static let path: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isAvailable: Bool { path != nil }

    struct Result {
        let status: Int32
        let output: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs openssl with `arguments`, merging stdout and stderr.
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path ?? "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

/// A fresh directory under NSTemporaryDirectory(), removed by the caller.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("signetwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A small deterministic generator (SplitMix64) for garbage and bit-flip inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
