import ArgumentParser
import Crypto
import Foundation
import SignetClient
import SignetCore
import SignetRuntime
import SignetStore
import SignetWire
import SwiftASN1
import X509

struct TimestampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp",
        abstract: "Get an RFC 3161 timestamp for FILE from a TSA and verify it against the CA; writes the reply (.tsr).")

    @OptionGroup var options: HomeOptions

    @Argument(help: "The file to timestamp.")
    var file: String

    @Option(help: "TSA URL (default: $SIGNET_URL/tsa, else <base_url>/tsa of the home).")
    var tsa: String?

    @Option(help: "Write the TimeStampResp (DER) here.")
    var out: String

    @Option(help: "sha256, sha384 or sha512.")
    var digest: String = "sha256"

    @Option(name: .customLong("ca-file"), help: "PEM file of trusted roots (default: the home's root CA certificates).")
    var caFile: String?

    func run() async throws {
        try await runReporting {
            guard let digest = DigestAlgorithm(rawValue: digest) else { throw SignetError.malformed("Unknown digest '\(self.digest)'; use sha256, sha384 or sha512") }
            let content = try readFile(file, what: "file")
            let (roots, defaultTSA) = try await TimestampTrust.resolve(caFile: caFile, home: options.home == nil && caFile != nil ? nil : options.directory)
            // Like every command that talks to Signet: SIGNET_URL before the home's base_url.
            let fromEnvironment = ProcessInfo.processInfo.environment["SIGNET_URL"].flatMap { $0.isEmpty ? nil : ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/tsa" }
            guard let url = tsa ?? fromEnvironment ?? defaultTSA else { throw SignetError.malformed("No TSA URL: pass --tsa URL or set SIGNET_URL") }
            let verified = try await TimestampClient.timestamp(digest: digest.hash(content), algorithm: digest, tsa: url, roots: roots)
            try AtomicFile.write(verified.reply, to: out)
            if options.json {
                try printJSON(["serial": verified.info.serialNumber.hexString, "gen_time": verified.info.genTime.iso8601, "policy": verified.info.policy.description,
                               "tsa": verified.signer.subject.description, "out": out])
            } else {
                print("Timestamped \(file) at \(verified.info.genTime.iso8601) by \(verified.signer.subject) (serial \(verified.info.serialNumber.hexString)); reply verified, written to \(out)")
            }
        }
    }
}

/// The trust a `signet timestamp` on the CA host starts from: roots from a PEM file, or the home's
/// root authorities; and the home's TSA URL.
enum TimestampTrust {
    static func resolve(caFile: String?, home: String?) async throws -> ([Certificate], String?) {
        var defaultTSA: String? = nil
        var roots: [Certificate] = []
        if let home, let opened = try? SignetHome.open(home) {
            defaultTSA = try AuthorityURLs(baseURL: opened.config.baseURL).tsa
            if caFile == nil {
                let view = try await SignetRuntime.openStore(opened)
                roots = try await view.store.authorities().filter { $0.kind == Profile.Kind.rootCA.rawValue }.map { try Certificate(derEncoded: $0.certificateDER) }
            }
        }
        if let caFile {
            roots = try TimestampClient.certificates(pem: String(decoding: try readFile(caFile, what: "CA file"), as: UTF8.self))
        }
        guard !roots.isEmpty else { throw SignetError.notFound("No trusted root to verify the timestamp against: pass --ca-file root.pem or --home") }
        return (roots, defaultTSA)
    }
}
