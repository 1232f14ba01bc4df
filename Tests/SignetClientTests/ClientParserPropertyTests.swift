import Foundation
import NIOHTTP1
@testable import SignetClient
import SignetCore
import SignetTestSupport
import Testing

/// Nothing a server, a file or a user hands the client traps it: every parser of the client gets
/// valid inputs cut, spliced and flipped, and random bytes, and must answer or throw. Seeded, so a
/// failure names an input that reproduces.
@Suite struct ClientParserPropertyTests {
    /// SplitMix64: small, seedable, good enough to pick mutations.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `seed` mutated: a cut, a splice of another seed, flipped or inserted bytes, or plain noise.
    static func mutate(_ seeds: [[UInt8]], _ random: inout Generator) -> [UInt8] {
        var bytes = seeds.randomElement(using: &random) ?? []
        switch Int.random(in: 0..<5, using: &random) {
        case 0 where !bytes.isEmpty:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
        case 1:
            let other = seeds.randomElement(using: &random) ?? []
            bytes = Array(bytes.prefix(bytes.count / 2)) + Array(other.suffix(other.count / 2))
        case 2 where !bytes.isEmpty:
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 3:
            let at = Int.random(in: 0...bytes.count, using: &random)
            let noise = (0..<Int.random(in: 1...16, using: &random)).map { _ in [UInt8](":-=\n\r\t \"'|{}[]#&*!%@0123456789abcdefABCDEF".utf8).randomElement(using: &random)! }
            bytes.insert(contentsOf: noise, at: at)
        default:
            bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        return bytes
    }

    static let rounds = 1500

    @Test("fingerprints, Retry-After values and server error bodies: answered or refused, never trapped")
    func textParsers() throws {
        var random = Generator(state: 20)
        let hex = String(repeating: "3f", count: 32)
        let fingerprints = [hex, "SHA256:" + hex, "sha256 Fingerprint=" + stride(from: 0, to: 64, by: 2).map { String(hex.dropFirst($0).prefix(2)) }.joined(separator: ":")]
            .map { Array($0.utf8) }
        let retryAfters = ["0", "120", "99999999999999999999", "Wed, 21 Oct 2026 07:28:00 GMT", "-1", " 7 "].map { Array($0.utf8) }
        let bodies = [#"{"error":{"code":"hsm_busy","message":"busy"}}"#, #"{"error":"x"}"#, #"{"error":{"code":7}}"#, "[1,2]", "<html>"].map { Array($0.utf8) }
        for _ in 0..<Self.rounds {
            _ = try? Fingerprint.parse(String(decoding: Self.mutate(fingerprints, &random), as: UTF8.self))
            if let wait = RetryPolicy.parseRetryAfter(String(decoding: Self.mutate(retryAfters, &random), as: UTF8.self), now: Date()) {
                #expect(wait >= 0 && wait.isFinite)
            }
            let status = Int.random(in: 100...599, using: &random)
            let error = APIClient.error(.init(status: status, headers: HTTPHeaders(), body: Self.mutate(bodies, &random)), method: "GET", path: "/x", attempts: 1)
            #expect(error.reason.hasPrefix("Signet ") && (0...7).contains(ExitStatus.status(for: error)))
        }
    }

    @Test("keys, certificates and the client configuration read from files: answered or refused, never trapped")
    func fileParsers() throws {
        var random = Generator(state: 21)
        let directory = TestEnvironment.temporaryDirectory("client-parsers")
        let key = try LocalKey.generate(.ecP256)
        let root = try ClientLogicTests.selfSigned("Parser Root")
        let configuration = try ClientConfiguration(url: "https://signet.example", root: root).yaml()
        let seeds = [Array(key.pem.utf8), Array((PEM.encode(root.derBytes) + "\n").utf8), root.derBytes, Array(configuration.utf8)]
        let path = directory + "/input"
        for round in 0..<(Self.rounds / 3) {
            let bytes = Self.mutate(seeds, &random)
            _ = try? LocalKey.read(pem: String(decoding: bytes, as: UTF8.self), file: "input")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            _ = try? CertificateRequester.readCertificate(path)
            do {
                _ = try ClientConfiguration.load(from: path)
            } catch let error as SignetError {
                #expect([.invalidConfiguration, .verificationFailed].contains(error.code), "round \(round): \(error)")
            }
        }
    }
}
