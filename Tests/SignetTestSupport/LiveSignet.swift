import Foundation

/// A real `signet serve` for tests of what runs beside Signet (the PKCS#11 module and the tools that
/// load it): a home made by `signet init` whose base_url is the server's own address, so the TSA URL,
/// CDP and AIA in its certificates resolve, with tokens made by `signet token create`.
public final class LiveSignet: @unchecked Sendable {
    public let work: String
    public let home: String
    public let port: Int
    public private(set) var server: ServerProcess
    /// The root CA certificate (PEM), for verifying what the tools sign.
    public let root: String

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var tsaURL: String { baseURL + "/tsa" }

    /// The module the package builds, next to the `signet` binary.
    public static var moduleLibrary: String {
        URL(fileURLWithPath: ProcessRunner.signetBinary).deletingLastPathComponent().appendingPathComponent("libsignet-pkcs11.so").path
    }

    private init(work: String, home: String, port: Int, server: ServerProcess, root: String) {
        self.work = work
        self.home = home
        self.port = port
        self.server = server
        self.root = root
    }

    /// Initialises a home (with `profiles`, default the shipped ones) and starts its server on a free port.
    public static func start(_ name: String = "live", profiles: String? = nil) throws -> LiveSignet {
        let work = TestEnvironment.temporaryDirectory(name)
        let home = work + "/home"
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            try? FileManager.default.removeItem(atPath: home)
            try OpenSSL.check(ProcessRunner.signet(["init", "--home", home, "--profiles", profiles ?? TestEnvironment.profilesDirectory,
                                                    "--crl-dir", work + "/crl", "--base-url", "http://127.0.0.1:\(port)"],
                                                   environment: ["SIGNET_HSM_PIN": nil]), "signet init")
            do {
                let server = try ServerProcess(home: home, fixedListen: "127.0.0.1:\(port)")
                let root = work + "/root.pem"
                try OpenSSL.check(ProcessRunner.signet(["ca", "export", "root", "--pem", "--out", root, "--home", home]), "signet ca export root")
                return LiveSignet(work: work, home: home, port: port, server: server, root: root)
            } catch {
                lastError = error  // the port was taken in between; try another
            }
        }
        throw lastError!
    }

    static func freePort() throws -> Int {
        let result = try OpenSSL.check(ProcessRunner.run("python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"]), "free port")
        guard let port = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no free port: \(result.output)") }
        return port
    }

    /// `signet token create` on the home; the token is printed once and returned.
    public func token(role: String, team: String? = nil, name: String) throws -> String {
        let arguments = ["token", "create", "--home", home, "--role", role, "--name", name] + (team.map { ["--team", $0] } ?? [])
        return try OpenSSL.check(ProcessRunner.signet(arguments), "signet token create").output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `POST /api/v1/releases/<release>/key` with `token`: the release key's id, serial and PEMs.
    public func releaseKey(_ release: String, token: String) async throws -> (keyID: String, serial: String, certificate: String, chain: [String]) {
        let response = try await HTTPClient.json(baseURL + "/api/v1/releases/\(release)/key", token: token, [:])
        guard response.status == 200 || response.status == 201, let keyID = response.json["key_id"] as? String,
              let serial = response.json["serial"] as? String, let certificate = response.json["certificate"] as? String,
              let chain = response.json["chain"] as? [String] else {
            throw TestFailure("release key for \(release): \(response.status) \(response.text)")
        }
        return (keyID, serial, certificate, chain)
    }

    /// Revokes a certificate as an admin.
    public func revoke(_ serial: String) async throws {
        let admin = try token(role: "admin", name: "revoker-\(UUID().uuidString.prefix(6))")
        let response = try await HTTPClient.json(baseURL + "/api/v1/certificates/\(serial)/revoke", token: admin, ["reason": "keyCompromise"])
        guard response.status == 200 else { throw TestFailure("revoke \(serial): \(response.status) \(response.text)") }
    }

    /// The environment that points the module at this Signet with `token`.
    public func moduleEnvironment(token: String, debug: Bool = true) -> [String: String?] {
        ["SIGNET_URL": baseURL, "SIGNET_TOKEN": token, "SIGNET_PKCS11_CONFIG": nil, "SIGNET_PKCS11_DEBUG": debug ? "1" : nil]
    }

    /// Stops the server (SIGTERM).
    public func stop() {
        server.stop()
    }

    /// Starts the server again on the same port.
    public func restart() throws {
        server.stop()
        server = try ServerProcess(home: home, fixedListen: "127.0.0.1:\(port)")
    }
}
