import ArgumentParser
import Foundation
import SignetClient
import SignetCore
import SignetRuntime
import SignetStore
import X509

struct CACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "CA certificates, and the trust a client starts from.", subcommands: [Export.self, Fingerprint.self, Bootstrap.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Print a CA certificate (DER by default; with --json its name, serial, subject, validity, fingerprint and PEM).")

        @OptionGroup var options: HomeOptions

        @Argument(help: "root, issuing, or an authority name such as issuing-ca-1.")
        var which: String

        @Flag(help: "PEM instead of DER.")
        var pem = false

        @Option(help: "Write to this file instead of standard output.")
        var out: String?

        func run() async throws {
            try await runReporting {
                let view = try await SignetRuntime.openStore(try SignetHome.open(options.directory))
                let authority = try await view.authority(which)
                let bytes: [UInt8]
                if pem {
                    bytes = Array((PEM.encode(authority.certificateDER) + "\n").utf8)
                } else {
                    bytes = authority.certificateDER
                }
                // Written whole or not at all (write-then-rename): a reader never sees half a certificate.
                if let out { try AtomicFile.write(bytes, to: out) }
                if options.json {
                    let certificate = try Certificate(derEncoded: authority.certificateDER)
                    try printJSON(["name": authority.name, "kind": authority.kind, "serial": authority.certificateSerial,
                                   "subject": certificate.subject.description, "not_before": certificate.notValidBefore.iso8601,
                                   "not_after": certificate.notValidAfter.iso8601, "fingerprint": SignetClient.Fingerprint.sha256(certificate),
                                   "pem": PEM.encode(authority.certificateDER) + "\n", "path": out] as [String: String?])
                } else if out == nil {
                    FileHandle.standardOutput.write(Data(bytes))
                }
            }
        }
    }
}

extension CACommand {
    struct Fingerprint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fingerprint",
            abstract: "Print the root's SHA-256 fingerprint: of FILE, else of the CA home's root, else of the bootstrapped root.",
            discussion: "Give it to users out of band; they pass it to `signet ca bootstrap --fingerprint`.")

        @OptionGroup var options: HomeOptions

        @Argument(help: "A certificate file (PEM or DER) to fingerprint instead.")
        var file: String?

        func run() async throws {
            try await runReporting(json: options.json) {
                let (certificate, source) = try await Self.root(file: file, home: options)
                let fingerprint = SignetClient.Fingerprint.sha256(certificate)
                if options.json {
                    try printJSON(["fingerprint": fingerprint, "subject": certificate.subject.description, "source": source])
                } else {
                    print(fingerprint)
                }
            }
        }

        static func root(file: String?, home options: HomeOptions) async throws -> (Certificate, String) {
            if let file {
                let bytes = try readFile(file, what: "certificate")
                if let text = String(bytes: bytes, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") {
                    return (try Certificate(pemEncoded: text), file)
                }
                return (try Certificate(derEncoded: bytes), file)
            }
            if let home = try? SignetHome.open(options.directory) {
                let view = try await SignetRuntime.openStore(home)
                let roots = try await view.store.authorities().filter { $0.kind == Profile.Kind.rootCA.rawValue && $0.state == .active }
                guard let root = roots.max(by: { $0.generation < $1.generation }) else { throw SignetError.notFound("The home at \(home.directory) has no active root; run `signet init`") }
                return (try Certificate(derEncoded: root.certificateDER), home.directory)
            }
            let path = try ClientConfiguration.path(environment: ProcessInfo.processInfo.environment)
            guard let configuration = try ClientConfiguration.load(from: path) else {
                throw SignetError.notFound("No CA home at \(options.directory) and no bootstrapped root at \(path): pass a certificate file, --home, or run `signet ca bootstrap`")
            }
            return (configuration.root, path)
        }
    }

    struct Bootstrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bootstrap",
            abstract: "Trust a Signet: fetch its root from URL, check its SHA-256 fingerprint, and store URL and root in the client configuration.",
            discussion: """
                The configuration is $SIGNET_CONFIG (a file, or a directory holding config.yaml), else \
                $XDG_CONFIG_HOME/signet/config.yaml, else ~/.config/signet/config.yaml. A wrong fingerprint stores nothing.
                """)

        @Option(help: "Signet's URL, e.g. https://signet.example.com.")
        var url: String

        @Option(help: "The root's SHA-256 fingerprint, from the operator (`signet ca fingerprint` on the CA host).")
        var fingerprint: String

        @Flag(help: "Replace a configuration that trusts another URL or root.")
        var force = false

        @Flag(help: "Print JSON for machines instead of human text.")
        var json = false

        func run() async throws {
            try await runReporting(json: json) {
                let path = try ClientConfiguration.path(environment: ProcessInfo.processInfo.environment)
                let result = try await TrustBootstrap.bootstrap(url: url, fingerprint: fingerprint, path: path, force: force)
                let configuration = result.configuration
                if json {
                    try printJSON(Result(url: configuration.url, rootFingerprint: configuration.rootFingerprint, root: configuration.root.subject.description,
                                         config: path, changed: result.changed, tlsChainsToRoot: result.tlsChainsToRoot))
                    return
                }
                print("\(result.changed ? "Trusting" : "Already trusting") \(configuration.url): root \(configuration.root.subject) (SHA-256 \(configuration.rootFingerprint)), stored in \(path)")
                if result.tlsChainsToRoot == false {
                    print("Note: the server's TLS certificate does not chain to this root; pass --root with the CA that issued it (a PEM bundle with both roots works)")
                }
            }
        }

        struct Result: Encodable {
            let url: String
            let rootFingerprint: String
            let root: String
            let config: String
            let changed: Bool
            let tlsChainsToRoot: Bool?
        }
    }
}
