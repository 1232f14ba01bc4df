import ArgumentParser
import Foundation
import SignetClient
import SignetCore

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Get a certificate for a key made here: writes BASE.key (0600), BASE.crt, BASE-chain.pem and, with --p12, BASE.p12.",
        discussion: """
            The key is generated locally (the profile's first key type, or --key-type) and never leaves this machine; only a CSR \
            is sent. What Signet returns is written only once it chains to the trusted root. The PKCS #12 password comes from \
            SIGNET_P12_PASSWORD, else a prompt; existing files are replaced only with --force.
            """)

    @OptionGroup var client: ClientOptions

    @Option(help: "Profile to request under (see `signet profiles`).")
    var profile: String

    @Option(help: "Base name of the files to write, e.g. dev → dev.key, dev.crt, dev-chain.pem, dev.p12.")
    var out: String

    @Option(help: "Validity, e.g. 24h (default: the profile's).")
    var validity: String?

    @Option(name: .customLong("subject-name"), help: "Common name for profiles whose subject uses {subject_name}.")
    var subjectName: String?

    @Option(name: .customLong("key-type"), help: "ec-p256, ec-p384, rsa-3072 or rsa-4096 (default: the profile's first).")
    var keyType: String?

    @Option(help: "Use this existing private key (PEM) instead of generating one.")
    var key: String?

    @Flag(help: "Also write BASE.p12 (PKCS #12) for jarsigner and signtool.")
    var p12 = false

    @Flag(help: "Replace existing output files.")
    var force = false

    @Flag(help: "Print JSON for machines instead of human text.")
    var json = false

    func run() async throws {
        try await runReporting(json: json) {
            let context = try await client.context()
            let requester = CertificateRequester(api: try context.api(), roots: try context.requireRoots())
            let written = try await requester.request(
                .init(profile: profile, out: CredentialPaths(base: out), validity: validity, subjectName: subjectName, keyType: keyType,
                      keyFile: key, keystore: p12, force: force),
                password: { try KeystorePassword.obtain(environment: ProcessInfo.processInfo.environment, confirm: true) })
            let issued = written.issued
            if json {
                try printJSON(Result(serial: issued.serial, profile: issued.profile, subject: issued.certificate.subject.description,
                                     keyType: written.keyType.rawValue, notAfter: issued.notAfter, files: written.files,
                                     alias: p12 ? CredentialPaths(base: out).alias : nil))
            } else {
                print("Issued \(issued.serial) under \(issued.profile) (\(issued.certificate.subject), \(written.keyType), valid until \(issued.notAfter.iso8601))")
                print("Wrote \(written.files.joined(separator: ", "))\(p12 ? " (keystore alias \(CredentialPaths(base: out).alias))" : "")")
            }
        }
    }

    struct Result: Encodable {
        let serial: String
        let profile: String
        let subject: String
        let keyType: String
        let notAfter: Date
        let files: [String]
        let alias: String?
    }
}
