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

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate keys: --due does whatever the profiles' schedules make due (for cron/CI); --issuer NAME rotates one authority now.")

    @OptionGroup var options: HomeOptions

    @Flag(help: "Perform every rotation and retirement that is due.")
    var due = false

    @Option(help: "Rotate this authority now (e.g. issuing-ca-1, ocsp-signer-3, timestamping-1).")
    var issuer: String?

    func validate() throws {
        guard due != (issuer != nil) else { throw ValidationError("Pass exactly one of --due and --issuer NAME") }
    }

    func run() async throws {
        try await runReporting {
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let scheduler = RotationScheduler(ca: runtime.ca)
            var actions: [String]
            if let issuer {
                actions = [try await scheduler.rotate(issuer, by: SignetRuntime.localOperator())]
                actions += try await scheduler.runDue(by: SignetRuntime.localOperator())
            } else {
                actions = try await scheduler.runDue(by: SignetRuntime.localOperator())
            }
            if !actions.isEmpty { try await runtime.makeRevocation().publishAll() }
            if options.json {
                try printJSON(["actions": actions])
            } else if actions.isEmpty {
                print("Nothing is due.")
            } else {
                for action in actions { print(action) }
            }
        }
    }
}

struct ReleaseKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release-key",
        abstract: "The release's HSM-held key and certificate (created on first use); prints key id and certificate.",
        discussion: """
            With SIGNET_TOKEN set (a ci token), asks the Signet server (--url, $SIGNET_URL or the home's base_url); \
            the team comes from the token. Without it, works on the local home and needs --team.
            """)

    @OptionGroup var options: HomeOptions

    @Option(help: "Release name.")
    var release: String

    @Option(help: "Team the release belongs to (local mode only; over the API the token's team is used).")
    var team: String?

    @Flag(help: "Create a new key even if the release has one.")
    var rotate = false

    @Option(help: "Signet URL for API mode (default: $SIGNET_URL, else base_url of the home).")
    var url: String?

    func run() async throws {
        try await runReporting {
            if let token = ProcessInfo.processInfo.environment["SIGNET_TOKEN"], !token.isEmpty {
                let api = APIClient(base: try APIClient.baseURL(url, home: options.directory), token: token)
                let key = try await api.post("/api/v1/releases/\(release)/key\(rotate ? "?rotate=true" : "")", [:])
                if options.json {
                    try printJSON(key.mapValues { "\($0)" })
                } else {
                    print("Key \(key["key_id"] ?? "?") for release \(release) (team \(key["team"] ?? "?")), certificate \(key["serial"] ?? "?") valid until \(key["not_after"] ?? "?")")
                    print(key["certificate"] as? String ?? "")
                }
                return
            }
            guard let team else { throw SignetError.malformed("Pass --team TEAM, or set SIGNET_TOKEN to ask the server with a ci token") }
            try NameRules.validateTeam(team)
            let runtime = try await SignetRuntime.open(try SignetHome.open(options.directory))
            let principal = Principal(name: SignetRuntime.localOperator().name, role: .admin, team: team)
            let (key, created) = try await ReleaseSigning(ca: runtime.ca).key(release: release, by: principal, rotate: rotate)
            if options.json {
                try printJSON(["key_id": key.key.id, "release": release, "team": team, "serial": key.certificate.serial, "created": "\(created)",
                               "certificate": PEM.encode(key.certificateValue.derBytes), "not_after": key.certificate.notAfter.iso8601])
            } else {
                print("\(created ? "Created" : "Existing") key \(key.key.id) for release \(release) (team \(team)), certificate \(key.certificate.serial) valid until \(key.certificate.notAfter.iso8601)")
                print(PEM.encode(key.certificateValue.derBytes))
            }
        }
    }
}

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign FILE through Signet with the release's HSM key: writes a detached CMS signature (DER). Needs SIGNET_TOKEN (a ci token).")

    @OptionGroup var options: HomeOptions

    @Option(help: "Release whose key signs.")
    var release: String

    @Option(name: .customLong("in"), help: "File to sign.")
    var input: String

    @Option(help: "Where to write the detached CMS SignedData (DER), e.g. FILE.p7s.")
    var out: String

    @Flag(help: "Add an RFC 3161 timestamp from Signet's TSA as an unsigned attribute.")
    var timestamp = false

    @Option(help: "Signet URL (default: $SIGNET_URL, else base_url of the home).")
    var url: String?

    @Option(name: .customLong("ca-file"), help: "PEM roots to verify the timestamp against (default: the root in the chain Signet returns).")
    var caFile: String?

    func run() async throws {
        try await runReporting {
            guard let token = ProcessInfo.processInfo.environment["SIGNET_TOKEN"], !token.isEmpty else {
                throw SignetError(.unauthenticated, "Set SIGNET_TOKEN to a ci token (tokens are never taken from arguments)")
            }
            let api = APIClient(base: try APIClient.baseURL(url, home: options.directory), token: token)
            let content = try readFile(input, what: "file")

            let key = try await api.post("/api/v1/releases/\(release)/key", [:])
            guard let keyID = key["key_id"] as? String, let leafPEM = key["certificate"] as? String, let chainPEM = key["chain"] as? [String] else {
                throw SignetError.internalError("Unexpected release key response")
            }
            let leaf = try Certificate(pemEncoded: leafPEM)
            let chain = try chainPEM.map { try Certificate(pemEncoded: $0) }
            guard let keyAlgorithm = KeyAlgorithm(publicKey: leaf.publicKey) else { throw SignetError.internalError("Unsupported release key type") }
            let digestAlgorithm = keyAlgorithm.digest
            let builder = try CMSSignedDataBuilder(
                eContentType: .CMSContentType.data, eContent: nil, digestAlgorithm: SignetWire.AlgorithmIdentifier(algorithm: digestAlgorithm.oid),
                messageDigest: digestAlgorithm.hash(content), signerCertificate: leaf, certificates: [leaf] + chain.dropLast(),
                signatureAlgorithm: try SignetWire.AlgorithmIdentifier(keyAlgorithm.signatureAlgorithm),
                signedAttributes: [
                    try .signingTime(Date()),
                    try .signingCertificateV2(try SigningCertificateV2(certs: [try ESSCertIDv2(certificate: leaf, certHash: Array(SHA256.hash(data: leaf.derBytes)))])),
                ])
            let digest = digestAlgorithm.hash(try builder.bytesToSign())
            let signed = try await api.post("/api/v1/keys/\(keyID)/sign", ["digest": Data(digest).base64EncodedString(), "algorithm": digestAlgorithm.rawValue])
            guard let signatureText = signed["signature"] as? String, let signature = Data(base64Encoded: signatureText) else {
                throw SignetError.internalError("Unexpected signing response")
            }
            guard leaf.publicKey.isValidSignature(Array(signature), for: try builder.bytesToSign(), signatureAlgorithm: keyAlgorithm.signatureAlgorithm) else {
                throw SignetError(.badSignature, "The signature Signet returned does not verify with the release certificate")
            }
            var unsigned: [CMSAttribute] = []
            if timestamp {
                // RFC 3161 Appendix A: the token covers the SignerInfo's signature value. It is checked
                // against --ca-file when given, else against the root the server returned with the chain.
                let roots = try caFile.map { file in
                    try PEMDocument.parseMultiple(pemString: String(decoding: try readFile(file, what: "CA file"), as: UTF8.self)).map { try Certificate(pemDocument: $0) }
                } ?? chain.filter { $0.subject == $0.issuer }
                let stamp = try await TimestampClient.timestamp(
                    digest: Array(SHA256.hash(data: Array(signature))), algorithm: .sha256, tsa: api.base + "/tsa", roots: roots)
                unsigned.append(try .timeStampToken(stamp.token))
            }
            try AtomicFile.write(try builder.assemble(signature: Array(signature), unsignedAttributes: unsigned), to: out)
            print("Signed \(input) with release \(release) key \(keyID)\(timestamp ? " (timestamped)" : ""): \(out)")
        }
    }
}

/// A minimal JSON client for the Signet API, used by `signet sign`.
struct APIClient {
    let base: String
    let token: String

    /// `--url`, else `$SIGNET_URL`, else the home's base_url.
    static func baseURL(_ explicit: String?, home: String) throws -> String {
        var base = explicit ?? ProcessInfo.processInfo.environment["SIGNET_URL"]
        if base == nil, let opened = try? SignetHome.open(home) { base = opened.config.baseURL }
        guard let base else { throw SignetError.malformed("No Signet URL: pass --url or set SIGNET_URL") }
        return try AuthorityURLs(baseURL: base).baseURL
    }

    func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        guard let url = URL(string: base + path) else { throw SignetError.malformed("Bad URL \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw SignetError(.internalError, "Cannot reach Signet at \(base): \(error.localizedDescription)")
        }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let message = (object["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(status)"
            throw SignetError(.policyRefused, "Signet refused \(path): \(message)")
        }
        return object
    }
}
