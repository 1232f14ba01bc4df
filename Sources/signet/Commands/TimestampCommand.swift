import ArgumentParser
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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

    @Option(help: "TSA URL (default: <base_url>/tsa of the home).")
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
            let (roots, defaultTSA) = try await TimestampClient.trust(caFile: caFile, home: options.home == nil && caFile != nil ? nil : options.directory)
            guard let url = tsa ?? defaultTSA else { throw SignetError.malformed("No TSA URL: pass --tsa URL") }
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

/// The RFC 3161 client behind `signet timestamp` and `signet sign --timestamp`.
enum TimestampClient {
    struct Result {
        let reply: [UInt8]
        let info: TSTInfo
        let token: ContentInfo
        let signer: Certificate
    }

    /// Trusted roots from a PEM file, or the home's root authorities; and the home's TSA URL.
    static func trust(caFile: String?, home: String?) async throws -> ([Certificate], String?) {
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
            let text = String(decoding: try readFile(caFile, what: "CA file"), as: UTF8.self)
            roots = try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
        }
        guard !roots.isEmpty else { throw SignetError.notFound("No trusted root to verify the timestamp against: pass --ca-file root.pem or --home") }
        return (roots, defaultTSA)
    }

    static func timestamp(digest: [UInt8], algorithm: DigestAlgorithm, tsa: String, roots: [Certificate]) async throws -> Result {
        var nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        nonce[0] |= 0x01
        nonce[0] &= 0x7f
        let query = try TimeStampReq(
            messageImprint: try MessageImprint(hashAlgorithm: SignetWire.AlgorithmIdentifier(algorithm: algorithm.oid), hashedMessage: digest),
            nonce: nonce, certReq: true).derBytes()
        guard let url = URL(string: tsa) else { throw SignetError.malformed("Not a URL: \(tsa)") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/timestamp-query", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(query)
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw SignetError(.internalError, "Cannot reach the TSA at \(tsa): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw SignetError(.internalError, "The TSA at \(tsa) answered HTTP \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        let reply = Array(data)
        let verified = try TimestampVerifier.verify(response: reply, imprint: digest, digest: algorithm, nonce: nonce, roots: roots)
        return Result(reply: reply, info: verified.info, token: verified.token, signer: verified.signer)
    }
}
