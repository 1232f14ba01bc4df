import Foundation
import SignetTestSupport
import Testing

/// A mixed load against a real `signet serve` for a fixed time — issuance, OCSP (cached answers and
/// fresh nonces), time-stamps and listings from several concurrent clients — while the server's
/// resident memory and open files are sampled from /proc. Both must stay flat once it has warmed up:
/// a leak per request, or a descriptor kept per connection, shows as growth over the run.
///
/// `make test` runs it for 60 s; `make soak` for 10 minutes (`SIGNET_SOAK_SECONDS`).
@Suite(.serialized) struct SoakTests {
    struct Sample {
        let at: Double
        let rssKiB: Int
        let openFiles: Int
    }

    static func sample(_ pid: Int32, since start: Date) -> Sample? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? ""),
              let files = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return nil }
        return Sample(at: Date().timeIntervalSince(start), rssKiB: kib, openFiles: files.count)
    }

    /// Samples the server once a second until the deadline.
    final class SamplerThread: Thread {
        let pid: Int32
        let startDate: Date
        let deadline: Date
        private let done = DispatchSemaphore(value: 0)
        private var samples: [Sample] = []

        init(pid: Int32, start: Date, deadline: Date) {
            self.pid = pid
            self.startDate = start
            self.deadline = deadline
        }

        override func main() {
            while Date() < deadline {
                if let sample = SoakTests.sample(pid, since: startDate) { samples.append(sample) }
                Thread.sleep(forTimeInterval: 1)
            }
            done.signal()
        }

        func finish() -> [Sample] {
            done.wait()
            return samples
        }
    }

    /// Counts of answered requests by kind, and failures.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        private var failures: [String] = []
        func add(_ kind: String, ok: Bool, detail: @autoclosure () -> String) {
            lock.lock()
            defer { lock.unlock() }
            counts[kind, default: 0] += 1
            if !ok && failures.count < 20 { failures.append("\(kind): \(detail())") }
        }
        var snapshot: ([String: Int], [String]) { lock.lock(); defer { lock.unlock() }; return (counts, failures) }
    }

    @Test("a mixed load keeps the server's RSS and open files flat")
    func mixedLoad() async throws {
        let seconds = Double(ProcessInfo.processInfo.environment["SIGNET_SOAK_SECONDS"] ?? "") ?? 60
        let work = TestEnvironment.temporaryDirectory("soak")
        let home = work + "/home"
        try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", home + "/crl"],
                                               environment: ["SIGNET_HSM_PIN": nil]), "init")
        let token = try OpenSSL.check(ProcessRunner.signet(["token", "create", "--role", "developer", "--team", "payments", "--name", "soak", "--home", home]),
                                      "token").output.trimmingCharacters(in: .whitespacesAndNewlines)
        // Eight clients on one address asking for signatures as fast as they can is what the per-client
        // rate limit refuses (ServerProtectionTests); the soak is about resources, so it is off here.
        let server = try ServerProcess(home: home, extraArguments: ["--signing-rate", "0"])
        defer { server.stop() }
        let base = server.baseURL
        let (csrPath, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let csr = try String(contentsOfFile: csrPath, encoding: .utf8)

        // One certificate to ask OCSP about; requests with and without a nonce (openssl puts the
        // 16-octet nonce last, so fresh nonces are fresh last octets).
        let issued = try await HTTPClient.json(base + "/api/v1/certificates", token: token, ["profile": "prerelease-codesign", "csr": csr])
        let leaf = work + "/leaf.pem", issuing = work + "/issuing.pem"
        try (issued.json["certificate"] as? String ?? "").write(toFile: leaf, atomically: true, encoding: .utf8)
        try OpenSSL.check(ProcessRunner.signet(["ca", "export", "issuing", "--pem", "--out", issuing, "--home", home]), "export")
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", issuing, "-cert", leaf, "-reqout", work + "/nonce.der"]), "ocsp")
        try OpenSSL.check(ProcessRunner.run("openssl", ["ocsp", "-issuer", issuing, "-cert", leaf, "-no_nonce", "-reqout", work + "/plain.der"]), "ocsp")
        try Data("artifact".utf8).write(to: URL(fileURLWithPath: work + "/artifact"))
        try OpenSSL.check(ProcessRunner.run("openssl", ["ts", "-query", "-data", work + "/artifact", "-sha256", "-cert", "-out", work + "/q.tsq"]), "ts")
        let nonceRequest = Array(try Data(contentsOf: URL(fileURLWithPath: work + "/nonce.der")))
        let plainRequest = Array(try Data(contentsOf: URL(fileURLWithPath: work + "/plain.der")))
        let tsaQuery = Array(try Data(contentsOf: URL(fileURLWithPath: work + "/q.tsq")))
        let plainGET = base + "/ocsp/" + Data(plainRequest).base64EncodedString()
            .replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "=", with: "%3D")

        let tally = Tally()
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        // Sampled from a thread of its own: other suites run blocking processes on the cooperative pool,
        // which would starve a sampling task for seconds at a time.
        let sampler = SamplerThread(pid: server.process.processIdentifier, start: start, deadline: deadline)
        sampler.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var round = worker
                    while Date() < deadline {
                        round += 1
                        switch round % 8 {
                        case 0:
                            let r = try await HTTPClient.json(base + "/api/v1/certificates", token: token, ["profile": "prerelease-codesign", "csr": csr])
                            tally.add("issue", ok: r.status == 201, detail: "\(r.status) \(r.text)")
                        case 1, 2:
                            var request = nonceRequest
                            for index in request.indices.suffix(16) { request[index] = UInt8.random(in: 0...255) }
                            let r = try await HTTPClient.request(base + "/ocsp", method: "POST", headers: ["Content-Type": "application/ocsp-request"], body: request)
                            tally.add("ocsp-nonce", ok: r.status == 200 && r.body.count > 100, detail: "\(r.status)")
                        case 3, 4:
                            let r = try await HTTPClient.request(plainGET)
                            tally.add("ocsp-cached", ok: r.status == 200 && r.body.count > 100, detail: "\(r.status)")
                        case 5, 6:
                            let r = try await HTTPClient.request(base + "/tsa", method: "POST", headers: ["Content-Type": "application/timestamp-query"], body: tsaQuery)
                            tally.add("tsa", ok: r.status == 200 && r.body.count > 500, detail: "\(r.status) \(r.body.count) octets")
                        default:
                            let r = try await HTTPClient.request(base + "/api/v1/certificates?limit=50", headers: ["Authorization": "Bearer \(token)"])
                            tally.add("list", ok: r.status == 200, detail: "\(r.status)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let samples = sampler.finish()
        let (counts, failures) = tally.snapshot
        #expect(failures.isEmpty, "\(failures)")
        #expect(server.process.isRunning)

        // Warm-up is the first quarter; compare the second quarter with the last.
        func window(_ from: Double, _ to: Double) -> [Sample] { samples.filter { $0.at >= seconds * from && $0.at < seconds * to } }
        let early = window(0.25, 0.5), late = window(0.75, 1.01)
        try #require(!early.isEmpty && !late.isEmpty, "too few samples: \(samples.count)")
        let earlyRSS = early.map(\.rssKiB).reduce(0, +) / early.count, lateRSS = late.map(\.rssKiB).reduce(0, +) / late.count
        let earlyFiles = early.map(\.openFiles).max()!, lateFiles = late.map(\.openFiles).max()!
        let total = counts.values.reduce(0, +)
        print("soak: \(Int(seconds)) s, \(total) requests (\(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), "
              + "RSS \(earlyRSS / 1024) MiB → \(lateRSS / 1024) MiB, open files \(earlyFiles) → \(lateFiles)")
        // The store's page cache grows with the certificates issued (bounded by the writer's cache
        // size), so allow it that; a leak of a kilobyte per request would exceed it many times over.
        let issuedBytes = (counts["issue"] ?? 0) * 2_048
        #expect(lateRSS - earlyRSS <= max(16 * 1024, earlyRSS / 10) + issuedBytes / 1024,
                "RSS grew from \(earlyRSS) KiB to \(lateRSS) KiB over \(Int(seconds)) s (\(total) requests)")
        #expect(lateFiles <= earlyFiles + 8, "open files grew from \(earlyFiles) to \(lateFiles)")
    }
}
