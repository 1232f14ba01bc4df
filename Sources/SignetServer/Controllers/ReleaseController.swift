import Foundation
import Hummingbird
import Logging
import Metrics
import ServiceLifecycle
import SignetCore

/// Per-release keys for CI (`POST /api/v1/releases/<release>/key`), the keys a caller may sign with
/// (`GET /api/v1/keys`, what the PKCS#11 module shows signing tools) and signing with them without the
/// key ever leaving the HSM (`POST /api/v1/keys/<id>/sign`).
struct ReleaseController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .post, "/api/v1/releases/{release}/key", releaseKey)
        table.add(router, .get, "/api/v1/keys", list)
        table.add(router, .post, "/api/v1/keys/{id}/sign", sign)
    }

    struct KeyRequest: Decodable {
        let rotate: Bool?
    }

    /// A release key as the API shows it: made or found by `POST …/releases/<release>/key` (with
    /// `created`) and listed by `GET /api/v1/keys` (without).
    struct KeyBody: Encodable {
        let keyId: String
        let release: String
        let team: String?
        let algorithm: String
        let serial: String
        let certificate: String
        let chain: [String]
        let notAfter: Date
        let created: Bool?

        init(_ key: ReleaseKey, release: String, created: Bool? = nil) {
            (keyId, self.release, team, algorithm) = (key.key.id, release, key.key.team, key.key.algorithm.rawValue)
            (serial, certificate, chain) = (key.certificate.serial, PEM.encode(key.certificateValue.derBytes), key.chain.map { PEM.encode($0.derBytes) })
            (notAfter, self.created) = (key.certificate.notAfter, created)
        }
    }

    @Sendable func releaseKey(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let release = context.parameters.get("release") ?? ""
        var rotate = request.uri.queryParameters["rotate"].map { $0 == "true" || $0 == "1" } ?? false
        if let length = request.headers[.contentLength], length != "0" {
            let body = try await JSONBody.decode(KeyRequest.self, from: request, context: context, allowed: ["rotate"])
            rotate = rotate || (body.rotate ?? false)
        }
        let (key, created) = try await services.releases.key(release: release, by: principal, rotate: rotate)
        return try JSONBody.response(KeyBody(key, release: release, created: created), status: created ? .created : .ok)
    }

    struct KeyListBody: Encodable {
        /// The team whose keys are listed; absent when an admin without a team lists every team's.
        let team: String?
        let principal: String
        let keys: [KeyBody]
    }

    @Sendable func list(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let params = request.uri.queryParameters
        let unknown = Set(params.map { String($0.key) }).subtracting(["team", "release"])
        guard unknown.isEmpty else { throw SignetError.malformed("Unknown query parameter(s) \(unknown.sorted().joined(separator: ", ")); allowed: release, team") }
        let team = params["team"].map(String.init)
        let keys = try await services.releases.usableKeys(by: principal, team: team, release: params["release"].map(String.init))
        return try JSONBody.response(KeyListBody(
            team: team ?? principal.team, principal: principal.name,
            keys: keys.map { KeyBody($0, release: $0.key.release ?? "") }))
    }

    struct SignRequest: Decodable {
        let digest: String
        let algorithm: String
    }

    struct SignBody: Encodable {
        let keyId: String
        let signature: String
        let signatureAlgorithm: String
        let certificateSerial: String
    }

    @Sendable func sign(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBody.decode(SignRequest.self, from: request, context: context, allowed: ["digest", "algorithm"])
        guard let algorithm = DigestAlgorithm(rawValue: body.algorithm.lowercased().replacingOccurrences(of: "-", with: "")) else {
            throw SignetError.malformed("Unknown digest algorithm '\(body.algorithm)'; use sha256, sha384 or sha512")
        }
        guard let digest = Data(base64Encoded: body.digest) else {
            throw SignetError.malformed("digest must be standard base64")
        }
        let result = try await services.releases.sign(keyID: context.parameters.get("id") ?? "", digest: Array(digest), algorithm: algorithm, by: principal)
        Counter(label: "signet_signatures_total", dimensions: [("team", principal.team ?? "")]).increment()
        return try JSONBody.response(SignBody(
            keyId: result.keyID, signature: Data(result.signature).base64EncodedString(),
            signatureAlgorithm: result.signatureAlgorithm.standardName, certificateSerial: result.certificateSerial))
    }
}

/// Runs the rotation scheduler inside the server.
struct RotationService: Service {
    let services: SignetServices
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let system = Principal(name: "signet-scheduler", role: .admin, team: nil)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let actions = try await services.rotation.runDue(by: system)
                if !actions.isEmpty {
                    logger.notice("rotation", metadata: ["actions": "\(actions.joined(separator: "; "))"])
                    try await services.revocation.publishAll()
                }
            } catch {
                // Cancelled by shutdown mid-run: every step is a transaction, nothing is half-done.
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                BackgroundFailure.record("rotation", error, logger: logger)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
