import ArgumentParser
import SignetClient
import SignetCore
import SignetRuntime

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the home, the HSM token and the CA hierarchy (root, issuing CA, OCSP signer, TSA). Idempotent.")

    @OptionGroup var options: HomeOptions

    @Option(help: "Profiles directory to record in config.yaml (default: ./Profiles).")
    var profiles: String?

    @Option(name: .customLong("base-url"), help: "Public base URL put into AIA/CDP extensions (default: http:// and the --listen address).")
    var baseURL: String?

    @Option(help: "Address signet serve listens on, host:port (default: 127.0.0.1:8080); the base URL follows it unless --base-url is given.")
    var listen: String?

    @Option(name: .customLong("hsm-module"), help: "PKCS#11 module path (default: SoftHSM2, embedded in the home).")
    var module: String?

    @Option(name: .customLong("token-label"), help: "Token label (default: signet).")
    var tokenLabel: String?

    @Option(name: .customLong("crl-dir"), help: "Where CRLs are published (default: ./CRL when it exists, else <home>/crl).")
    var crlDir: String?

    func run() async throws {
        try await runReporting {
            let directory = options.directory
            let (runtime, created) = try await SignetRuntime.initialize(directory, options: .init(
                profilesDir: profiles, baseURL: baseURL, module: module, tokenLabel: tokenLabel, crlDirectory: crlDir, listen: listen))
            let authorities = runtime.ca.authorities.map { ["name": $0.name, "profile": $0.record.profile, "serial": $0.record.certificateSerial] }
            let root = runtime.ca.authorities.filter { $0.record.kind == Profile.Kind.rootCA.rawValue && $0.record.state == .active }
                .max { $0.record.generation < $1.record.generation }
            let fingerprint = root.map { Fingerprint.sha256($0.certificate) }
            if options.json {
                try printJSON(InitResult(home: directory, created: created, authorities: authorities, rootFingerprint: fingerprint))
                return
            } else if created.isEmpty {
                print("Signet is already initialised in \(directory); nothing changed.")
            } else {
                print("Initialised Signet in \(directory):")
                for item in created { print("  created \(item)") }
            }
            if let fingerprint {
                print("Root fingerprint (SHA-256): \(fingerprint)")
                print("Clients trust it with: signet ca bootstrap --url \(runtime.home.config.baseURL) --fingerprint \(fingerprint)")
            }
        }
    }

    struct InitResult: Encodable {
        let home: String
        let created: [String]
        let authorities: [[String: String]]
        let rootFingerprint: String?
    }
}
