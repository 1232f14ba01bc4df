import Crypto
import Foundation
import SignetCore
import SignetRuntime
import SignetTestSupport
import SignetWire
import SwiftASN1
import Testing
import X509

/// The RFC 3161 TSA in-process, signing in the real token: grants, rejections, serials.
@Suite struct TimestampAuthorityTests {
    static func query(_ digest: [UInt8] = Array(SHA256.hash(data: Array("data".utf8))), algorithm: SignetWire.AlgorithmIdentifier = .sha256,
                      policy: ASN1ObjectIdentifier? = nil, nonce: [UInt8]? = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
                      certReq: Bool = true, extensions: [Certificate.Extension] = []) throws -> [UInt8] {
        try TimeStampReq(messageImprint: try MessageImprint(hashAlgorithm: algorithm, hashedMessage: digest), reqPolicy: policy, nonce: nonce,
                         certReq: certReq, extensions: extensions).derBytes()
    }

    static func roots(_ runtime: SignetRuntime) throws -> [Certificate] {
        [try runtime.ca.authority(named: "root-ca-1").certificate]
    }

    static func failure(_ reply: [UInt8]) throws -> PKIFailureInfo? {
        let response = try TimeStampResp(derEncoded: reply)
        #expect(response.status.status == .rejection)
        #expect(response.timeStampToken == nil)
        return response.status.failInfo
    }

    @Test("a granted token: policy, imprint, nonce, accuracy, genTime, certificates on request, and a signature that verifies")
    func granted() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_900_000_000.25))
        let runtime = try await TestEnvironment.makeRuntime(clock: clock)
        let tsa = try runtime.makeTimestampAuthority()
        let digest = Array(SHA384.hash(data: Array("release.zip".utf8)))
        let nonce: [UInt8] = [0x7f] + (0..<19).map { _ in UInt8.random(in: 0...255) }  // 160 bits
        let reply = await tsa.respond(to: try Self.query(digest, algorithm: .sha384, nonce: nonce)).der
        let verified = try TimestampVerifier.verify(response: reply, imprint: digest, digest: .sha384, nonce: nonce, roots: try Self.roots(runtime))
        #expect(verified.info.policy == [1, 3, 6, 1, 4, 1, 32473, 1, 2])
        #expect(verified.info.genTime == clock.now())
        #expect(verified.info.accuracy?.seconds == 1)
        #expect(verified.info.tsa == .directoryName(verified.signer.subject))
        #expect(try verified.token.signedData().certificates.count == 2)

        let withoutCertificates = await tsa.respond(to: try Self.query(certReq: false)).der
        let token = try #require(try TimeStampResp(derEncoded: withoutCertificates).timeStampToken)
        #expect(try token.signedData().certificates.isEmpty)
        // Still verifiable when the client has the TSA's certificates.
        let info = try #require(try TimeStampResp(derEncoded: withoutCertificates).tstInfo())
        let tsaAuthority = try runtime.ca.activeAuthority(profile: "timestamping")
        let issuing = try runtime.ca.authority(named: "issuing-ca-1").certificate
        _ = try TimestampVerifier.verify(token: token, info: info, imprint: Array(SHA256.hash(data: Array("data".utf8))), digest: .sha256,
                                         nonce: nil, roots: try Self.roots(runtime), intermediates: [tsaAuthority.certificate, issuing])
        // The requested policy, when it is the TSA's, is accepted.
        let explicitPolicy = await tsa.respond(to: try Self.query(policy: [1, 3, 6, 1, 4, 1, 32473, 1, 2])).der
        #expect(try TimeStampResp(derEncoded: explicitPolicy).status.status == .granted)
    }

    @Test("every bad query gets a rejection with the failInfo that names it")
    func rejections() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let tsa = try runtime.makeTimestampAuthority()
        let valid = try Self.query()
        var wrongVersion = valid
        #expect(wrongVersion[2] == 0x02 && wrongVersion[4] == 0x01)  // SEQUENCE { INTEGER 1, ...
        wrongVersion[4] = 0x02
        let md5 = SignetWire.AlgorithmIdentifier(algorithm: [1, 2, 840, 113549, 2, 5])
        let cases: [(String, [UInt8], PKIFailureInfo)] = [
            ("garbage", Array("POST /tsa HTTP/1.1".utf8), .badDataFormat),
            ("empty", [], .badDataFormat),
            ("truncated", Array(valid.prefix(valid.count - 5)), .badDataFormat),
            ("wrong version", wrongVersion, .badRequest),
            ("SHA-1 imprint", try Self.query(Array(Insecure.SHA1.hash(data: [1])), algorithm: .sha1), .badAlg),
            ("MD5 imprint", try Self.query([UInt8](repeating: 1, count: 16), algorithm: md5), .badAlg),
            ("imprint of the wrong length", Self.wrongLengthQuery(), .badDataFormat),
            ("other policy", try Self.query(policy: [1, 2, 3, 4]), .unacceptedPolicy),
            ("extension", try Self.query(extensions: [Certificate.Extension(oid: [1, 2, 3], critical: false, value: [0x05, 0x00])]), .unacceptedExtension),
            ("oversized", [UInt8](repeating: 0x30, count: 20_000), .badDataFormat),
        ]
        for (name, request, expected) in cases {
            let reply = await tsa.respond(to: request).der
            #expect(try Self.failure(reply) == expected, "\(name)")
        }
    }

    /// A TimeStampReq whose SHA-256 imprint has 31 octets, written by hand since the builder refuses it.
    static func wrongLengthQuery() -> [UInt8] {
        let imprint: [UInt8] = [0x30, 0x2e, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x1f] + [UInt8](repeating: 0xaa, count: 31)
        let body: [UInt8] = [0x02, 0x01, 0x01] + imprint
        return [0x30, UInt8(body.count)] + body
    }

    @Test("1,000 concurrent requests: every serial distinct, every token verifies")
    func concurrentSerials() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        // A signing queue that holds them all: this is about serials, not refusals for load (SigningLoadTests).
        let tsa = try TimestampAuthority(ca: try await SigningLoadTests.authority(runtime, capacity: 1000),
                                         serials: TimestampSerialAllocator(repository: runtime.store, clock: runtime.clock), accuracy: try Accuracy(seconds: 1))
        let roots = try Self.roots(runtime)
        let serials = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for i in 0..<1000 {
                group.addTask {
                    let digest = Array(SHA256.hash(data: Array("artifact \(i)".utf8)))
                    let nonce: [UInt8] = [0x01, UInt8(i & 0xff), UInt8(i >> 8)]
                    let reply = await tsa.respond(to: try Self.query(digest, nonce: nonce)).der
                    return try TimestampVerifier.verify(response: reply, imprint: digest, digest: .sha256, nonce: nonce, roots: roots).info.serialNumber
                }
            }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(serials.count == 1000)
        #expect(Set(serials).count == 1000)
        // Serials survive a restart: a new TSA (new allocator) never reuses one.
        let again = try runtime.makeTimestampAuthority()
        let digest = Array(SHA256.hash(data: [9]))
        let reply = await again.respond(to: try Self.query(digest)).der
        let next = try TimestampVerifier.verify(response: reply, imprint: digest, digest: .sha256, nonce: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef], roots: roots).info.serialNumber
        #expect(!serials.contains(next))
    }

    @Test("serials: none at hand before the first reservation, the next block reserved at half, never a repeat, across allocators")
    func serialReservation() async throws {
        let runtime = try await TestEnvironment.makeRuntime()
        let allocator = TimestampSerialAllocator(repository: runtime.store, clock: runtime.ca.clock, blockSize: 10)
        #expect(allocator.takeIfAvailable() == nil, "nothing is reserved yet; the call starts a reservation")
        var serials = [try await allocator.next()]
        for _ in 0..<5 { serials.append(try await allocator.next()) }
        // 6 of 10 used: the next block is being reserved, so the immediate path never runs dry.
        for _ in 0..<50 {
            if let serial = allocator.takeIfAvailable() { serials.append(serial) } else { try await Task.sleep(for: .milliseconds(20)) }
            if serials.count == 25 { break }
        }
        #expect(serials.count == 25)
        #expect(serials == serials.sorted() && Set(serials).count == serials.count, "\(serials)")
        let reservations = try await runtime.store.auditEntries(AuditQuery(action: AuditAction.tsaSerialsReserve))
        #expect(reservations.count >= 3 && reservations.count <= 4, "25 serials from blocks of 10, reserved ahead: \(reservations.count)")
        // A second allocator (a restart) starts after everything reserved, used or not.
        let restarted = TimestampSerialAllocator(repository: runtime.store, clock: runtime.ca.clock, blockSize: 10)
        let first = try await restarted.next()
        #expect(first > serials.max()!)
    }
}
