import ArgumentParser
import Crypto
import Foundation
import SignetCore
import SignetHSM
import SignetRuntime
import SignetStore
import SignetWire

/// `signet-bench`: the micro-benchmarks `make bench` runs (Benchmarks/), in an executable of their
/// own so the production `signet` carries none of them. Each prints one JSON line on stdout, which
/// Benchmarks/run.sh collects into results.json.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signet-bench", abstract: "Micro-benchmarks for Benchmarks/ (HSM signing, TSA, issuance, CRL generation, store scale).",
        subcommands: [HSM.self, TSA.self, Issue.self, CRL.self, Populate.self])

    /// Checks a timed benchmark's arguments: `--name` within `range`, and a run of at most ten minutes.
    static func checkTimed(_ name: String, _ value: Int, in range: ClosedRange<Int>, seconds: Double) throws {
        guard range.contains(value), seconds > 0, seconds <= 600 else {
            throw SignetError.malformed("--\(name) must be \(range.lowerBound)...\(range.upperBound) and --seconds 0...600")
        }
    }

    /// `signet-bench hsm`: the raw HSM limit. Generates a throw-away key in the home's token, then signs
    /// one SHA-256 digest in a loop through `HSMKey.signDigest` (C_SignInit + C_Sign), one thread per
    /// session, for a fixed time, and destroys the key.
    struct HSM: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hsm", abstract: "C_Sign loop: signatures/s with 1..n sessions.")

        @OptionGroup var options: BenchOptions
        @Option(help: "How long to sign, in seconds.") var seconds: Double = 5
        @Option(help: "Sessions, each driven by its own thread.") var sessions: Int = 1
        @Option(help: "Key algorithm: ec-p256 or rsa-3072.") var algorithm: String = "ec-p256"

        func run() async throws {
            try await runReporting {
                guard let algorithm = KeyAlgorithm(rawValue: algorithm), [.ecP256, .ecP384, .rsa3072, .rsa4096].contains(algorithm) else {
                    throw SignetError.malformed("Unknown --algorithm '\(self.algorithm)'; use ec-p256 or rsa-3072")
                }
                try BenchCommand.checkTimed("sessions", sessions, in: 1...64, seconds: seconds)
                // Only the measured sessions are open: the runtime (and its own pool) is not started.
                let pool = try SignetRuntime.openPool(try SignetHome.open(options.directory), sessions: sessions)
                let manager = HSMKeyManager(pool: pool)
                let reference = KeyReference(id: (0..<16).map { _ in UInt8.random(in: .min ... .max) }, label: "signet-bench-hsm")
                let key = try manager.generateKey(reference, algorithm: algorithm)
                defer {
                    try? manager.destroyKey(reference)
                    pool.close()
                }
                let digest = Array(SHA256.hash(data: Array("signet bench hsm".utf8)))
                _ = try key.signDigest(digest, algorithm: .sha256)
                let result = try TimedLoop.run(threads: sessions, seconds: seconds) {
                    _ = try key.signDigest(digest, algorithm: .sha256)
                    return true
                }
                try printJSONLine([
                    "benchmark": "hsm", "algorithm": algorithm.rawValue, "sessions": sessions, "seconds": result.seconds,
                    "signatures": result.operations, "signatures_per_second": Double(result.operations) / result.seconds,
                    "module": pool.module.path,
                ])
            }
        }
    }

    /// `signet-bench tsa`: time-stamp tokens per second without HTTP: the home's TSA answers one fixed
    /// SHA-256 query in a loop (parse, serial, TSTInfo, CMS, HSM signature), one thread per session,
    /// so the HTTP figure can be split into protocol work and transport.
    struct TSA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tsa", abstract: "RFC 3161 tokens/s in-process, without HTTP.")

        @OptionGroup var options: BenchOptions
        @Option(help: "How long to run, in seconds.") var seconds: Double = 5
        @Option(help: "Threads.") var threads: Int = 1

        func run() async throws {
            try await runReporting {
                try BenchCommand.checkTimed("threads", threads, in: 1...64, seconds: seconds)
                let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
                let tsa = try runtime.makeTimestampAuthority()
                let query = try TimeStampReq(
                    messageImprint: try MessageImprint(hashAlgorithm: .sha256, hashedMessage: Array(SHA256.hash(data: Array("signet bench tsa".utf8)))),
                    nonce: nil, certReq: true).derBytes()
                _ = await tsa.respond(to: query)  // reserves the first block of serials
                // A call that finds no reserved serial at hand (a refill in flight) signs nothing and is not counted.
                let result = try TimedLoop.run(threads: threads, seconds: seconds) { tsa.immediateResponse(to: query) != nil }
                try printJSONLine([
                    "benchmark": "tsa", "threads": threads, "seconds": result.seconds, "tokens": result.operations,
                    "tokens_per_second": Double(result.operations) / result.seconds,
                ])
            }
        }
    }

    /// `signet-bench issue`: issuance without HTTP. `--concurrency` tasks each issue certificates for
    /// one CSR through the CA as a CI principal, back to back, until the deadline: the same path as
    /// `POST /api/v1/certificates` from the CSR check on (lint, serial and TBS recorded, HSM signature
    /// and its check, record completed, audit entry), without the transport, the JSON and the token
    /// lookup. Prints certificates/s and the process CPU per certificate; beside the HTTP figure it
    /// says how much of a request is the transport. The certificates are real and stay in the store.
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "issue", abstract: "Certificates/s in-process, without HTTP.")

        @OptionGroup var options: BenchOptions
        @Option(help: "CSR file (PEM or DER).") var csr: String
        @Option(help: "Profile.") var profile: String = "prerelease-codesign"
        @Option(help: "Team of the issuing principal.") var team: String = "payments"
        @Option(help: "How long to run, in seconds.") var seconds: Double = 5
        @Option(help: "Issuances in flight at once.") var concurrency: Int = 32

        func run() async throws {
            try await runReporting {
                try BenchCommand.checkTimed("concurrency", concurrency, in: 1...1024, seconds: seconds)
                let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
                let request = IssuanceRequest(profile: profile, csr: try readFile(csr, what: "CSR"), team: team, release: nil, validity: nil)
                let principal = Principal(name: "signet-bench", role: .ci, team: team)
                _ = try await runtime.ca.issue(request, by: principal)  // fails early on a bad CSR or profile
                let cpuBefore = ProcessMemory.cpuSeconds()
                let started = DispatchTime.now().uptimeNanoseconds
                let deadline = started + UInt64(seconds * 1e9)
                let issued = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<concurrency {
                        group.addTask {
                            var count = 0
                            while DispatchTime.now().uptimeNanoseconds < deadline {
                                _ = try await runtime.ca.issue(request, by: principal)
                                count += 1
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                let cpu = ProcessMemory.cpuSeconds() - cpuBefore
                try printJSONLine([
                    "benchmark": "issue", "concurrency": concurrency, "seconds": elapsed, "certificates": issued,
                    "certificates_per_second": Double(issued) / elapsed, "cpu_us_per_certificate": cpu * 1e6 / Double(max(issued, 1)),
                    "cores": cpu / elapsed,
                ])
            }
        }
    }

    /// `signet-bench crl`: brings the store to N synthetic revoked certificates of one issuer (inserting
    /// what is missing in a single transaction through a store connection of its own, closed before
    /// the timing starts), then times what the server does to publish the CRL (query the revoked
    /// entries, encode, sign in the HSM, verify, write the DER) and reports the peak RSS of that step
    /// (VmHWM reset just before it). The rows stay, so a 1,000,000-entry run can follow a 100,000 one
    /// on the same home; `--remove` deletes them afterwards.
    struct CRL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "crl", abstract: "Time and peak memory of a CRL with N entries.")

        @OptionGroup var options: BenchOptions
        @Option(help: "Synthetic revoked certificates the CRL should hold.") var entries: Int
        @Option(help: "Issuing authority.") var issuer: String = "issuing-ca-1"
        @Option(help: "Write the signed CRL (DER) here; the write is part of the timed step.") var out: String = "/dev/null"
        @Flag(help: "Remove the synthetic rows afterwards.") var remove = false

        func run() async throws {
            try await runReporting {
                guard (0...20_000_000).contains(entries) else { throw SignetError.malformed("--entries must be 0...20000000") }
                let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
                let authority = try runtime.ca.authority(named: issuer)
                let publisher = try runtime.makeRevocation()
                guard let store = runtime.store as? SQLiteStore else {
                    throw SignetError.configuration("The CRL benchmark writes synthetic rows into SQLite; point it at a home without store: postgres://…")
                }
                let existing = try await store.syntheticCertificateCount(issuer: issuer, status: .revoked)
                let insertStarted = Date()
                if entries > existing {
                    let writer = try SQLiteStore(path: runtime.home.databasePath)
                    try await writer.insertSyntheticCertificates(count: entries - existing, issuer: issuer, revoked: 1.0, now: Date())
                    try await writer.close()  // its page cache is gone before the peak is reset, not a moment after
                }
                let insertSeconds = Date().timeIntervalSince(insertStarted)
                ProcessMemory.trim()
                let peakWithInsert = ProcessMemory.kibibytes("VmHWM")
                let resetWorked = ProcessMemory.resetPeak()
                let rssBefore = ProcessMemory.kibibytes("VmRSS")
                let started = DispatchTime.now().uptimeNanoseconds
                let crl = try await publisher.issuer.issue(for: authority)
                try Data(crl.der).write(to: URL(fileURLWithPath: out))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                let peak = ProcessMemory.kibibytes("VmHWM")
                if remove { try await store.removeSyntheticCertificates() }
                try printJSONLine([
                    "benchmark": "crl", "issuer": issuer, "inserted": max(0, entries - existing), "crl_entries": crl.entries,
                    "crl_bytes": crl.der.count, "insert_seconds": insertSeconds, "seconds": seconds, "peak_rss_kib": peak,
                    "rss_before_kib": rssBefore, "peak_rss_including_insert_kib": peakWithInsert, "peak_reset": resetWorked,
                ])
            }
        }
    }

    /// `signet-bench populate`: records N synthetic certificates (teams, validities and a share of
    /// revocations spread as described in Benchmarks/README.md) in one transaction, for the store-scale
    /// figure. Each row carries the DER of a real issued certificate so list responses have real size.
    struct Populate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "populate", abstract: "Insert N synthetic certificates in bulk.")

        @OptionGroup var options: BenchOptions
        @Option(help: "Certificates to insert.") var count: Int
        @Option(help: "Issuing authority.") var issuer: String = "issuing-ca-1"
        @Option(help: "Share of the rows that are revoked (0...1).") var revoked: Double = 0.01

        func run() async throws {
            try await runReporting {
                guard (0...20_000_000).contains(count), (0...1).contains(revoked) else {
                    throw SignetError.malformed("--count must be 0...20000000 and --revoked 0...1")
                }
                let home = try SignetHome.open(options.directory)
                let store = try SQLiteStore(path: home.databasePath)
                let started = Date()
                try await store.insertSyntheticCertificates(count: count, issuer: issuer, revoked: revoked, now: Date())
                let seconds = Date().timeIntervalSince(started)
                let total = try await store.countCertificates(CertificateQuery(limit: 1))
                try printJSONLine(["benchmark": "populate", "inserted": count, "seconds": seconds, "certificates": total])
            }
        }
    }
}

