import ArgumentParser
import Foundation
import SignetClient
import SignetCore

struct RenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Renew a certificate in place: same key, profile and validity period; also rewrites BASE-chain.pem and BASE.p12 if present.",
        discussion: """
            With --if-expiring-within, does nothing (exit 0) unless the certificate expires within that window: run it from cron. \
            An expired or revoked certificate is not renewed; request a new one.
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The certificate to renew (PEM), e.g. dev.crt.")
    var certificate: String

    @Option(help: "Its private key (PEM), e.g. dev.key.")
    var key: String

    @Option(name: .customLong("if-expiring-within"), help: "Renew only if it expires within this duration, e.g. 8h.")
    var ifExpiringWithin: String?

    @Option(help: "Validity of the new certificate (default: that of the one it replaces).")
    var validity: String?

    @Option(name: .customLong("subject-name"), help: "Common name for profiles whose subject uses {subject_name} (default: the current one).")
    var subjectName: String?

    @Flag(help: "Print JSON for machines instead of human text.")
    var json = false

    func run() async throws {
        try await runReporting(json: json) {
            let window = try ifExpiringWithin.map(ValidityDuration.init(parsing:))
            let context = try await client.context()
            let requester = CertificateRequester(api: try context.api(), roots: try context.requireRoots())
            let outcome = try await requester.renew(
                certificatePath: certificate, keyFile: key, window: window, validity: validity, subjectName: subjectName,
                password: { try KeystorePassword.obtain(environment: ProcessInfo.processInfo.environment, confirm: false) })
            switch outcome {
            case .notDue(let notAfter):
                if json {
                    try printJSON(Result(renewed: false, notAfter: notAfter, serial: nil, previousSerial: nil, files: []))
                } else {
                    print("Not due: \(certificate) is valid until \(notAfter.iso8601), beyond --if-expiring-within \(ifExpiringWithin ?? "")")
                }
            case .renewed(let previous, let issued, let files):
                if json {
                    try printJSON(Result(renewed: true, notAfter: issued.notAfter, serial: issued.serial, previousSerial: previous, files: files))
                } else {
                    print("Renewed \(previous) as \(issued.serial) (valid until \(issued.notAfter.iso8601)); wrote \(files.joined(separator: ", "))")
                }
            }
        }
    }

    struct Result: Encodable {
        let renewed: Bool
        let notAfter: Date
        let serial: String?
        let previousSerial: String?
        let files: [String]
    }
}
