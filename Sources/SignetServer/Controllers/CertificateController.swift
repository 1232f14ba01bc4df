import Foundation
import Hummingbird
import Metrics
import SignetCore
import X509

/// `/api/v1/certificates`: issue for a CSR, list, fetch, revoke.
struct CertificateController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .post, "/api/v1/certificates", issue)
        table.add(router, .get, "/api/v1/certificates", list)
        table.add(router, .get, "/api/v1/certificates/{serial}", show)
        table.add(router, .post, "/api/v1/certificates/{serial}/revoke", revoke)
    }

    struct IssuedBody: Encodable {
        let serial: String
        let certificate: String
        let chain: [String]
        let notAfter: Date
    }

    @Sendable func issue(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBody.object(from: request, context: context, allowed: ["profile", "csr", "validity", "release"])
        let profile = try body.requiredString("profile")
        let csr = try body.requiredString("csr")
        let validity = try body.string("validity").map(ValidityDuration.init(parsing:))
        // The team comes from the token, never from the body (DESIGN.md "HTTP contract").
        let issued = try await services.ca.issue(
            IssuanceRequest(profile: profile, csr: Array(csr.utf8), team: principal.team, release: try body.string("release"), validity: validity),
            by: principal)
        Counter(label: "signet_certificates_issued_total", dimensions: [("profile", profile), ("team", principal.team ?? "")]).increment()
        // Written by hand: this is the hottest response in the API. Same shape as IssuedBody.
        let leaf = PEM.encode(issued.der)
        let chain = issued.chain.map { chainPEMs.jsonString(for: $0) }.joined(separator: ",")
        let json = "{\"certificate\":\(CanonicalJSON.string(leaf)),\"chain\":[\(chain)],"
            + "\"not_after\":\"\(ISO8601.string(issued.record.notAfter))\",\"serial\":\"\(issued.record.serial)\"}"
        return JSONBody.raw(json, status: .created)
    }

    /// PEM of CA certificates, computed once per certificate: every response carries the same chain.
    let chainPEMs = PEMCache()

    struct ListBody: Encodable {
        let certificates: [CertificateSummary]
        /// Pass as `after` to get the next page; absent on the last page.
        let next: String?
    }

    @Sendable func list(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let now = services.clock.now()
        var query = try CertificateQuery(parameters: request.queryPairs, now: now)
        // Developers and CI see their own team only; asking for another team is a 403, not an empty list.
        if principal.role == .developer || principal.role == .ci {
            if let team = query.team, team != principal.team {
                throw SignetError.forbidden("\(principal.name) may only list certificates of team \(principal.team ?? "(none)")")
            }
            query.team = principal.team
        }
        // Written by the store straight from its rows (same shape as ListBody): building records and
        // then JSON from them was most of a listing's CPU.
        let page = try await services.repository.certificateSummaries(query, now: now)
        var body: [UInt8] = []
        body.reserveCapacity(page.json.count + 160)
        body.append(contentsOf: "{\"certificates\":[".utf8)
        body.append(contentsOf: page.json)
        body.append(UInt8(ascii: "]"))
        if let next = page.next {
            body.append(contentsOf: ",\"next\":".utf8)
            CanonicalJSON.appendString(next.string, to: &body)
        }
        body.append(UInt8(ascii: "}"))
        return ResponseBody.bytes(body, contentType: "application/json")
    }


    func record(_ context: SignetRequestContext) async throws -> CertificateRecord {
        let serial = try Hex.serial(context.parameters.get("serial") ?? "")
        guard let record = try await services.repository.certificate(serial: serial) else {
            throw SignetError.notFound("No certificate with serial \(serial)")
        }
        return record
    }

    @Sendable func show(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let record = try await record(context)
        try AccessPolicy.checkRead(principal, team: record.team)
        let accept = request.headers[.accept] ?? "application/json"
        if accept.contains("application/pkix-cert") {
            guard let der = record.der else { throw SignetError.conflict("Certificate \(record.serial) is pending and has no certificate") }
            return ResponseBody.bytes(der, contentType: "application/pkix-cert")
        }
        let pem = record.der.map { PEM.encode($0) }
        if accept.contains("application/x-pem-file") || accept.contains("application/pem-certificate-chain") {
            guard let pem else { throw SignetError.conflict("Certificate \(record.serial) is pending and has no certificate") }
            return ResponseBody.bytes(Array((pem + "\n").utf8), contentType: "application/x-pem-file")
        }
        return try JSONBody.response(record.detail(at: services.clock.now()))
    }

    @Sendable func revoke(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.checkRevoke(principal)
        let body = try await JSONBody.object(from: request, context: context, allowed: ["reason"])
        let reason = try RevocationReason(parsing: try body.string("reason") ?? "unspecified")
        let serial = (context.parameters.get("serial") ?? "").lowercased()
        let record = try await services.ca.revoke(serial: serial, reason: reason, by: principal)
        // OCSP answers change before this response is sent; the CRLs are re-signed right after.
        do {
            try await services.revocation.revocationHappened()
        } catch {
            // The revocation is recorded; the publishing loop retries the CRLs.
            BackgroundFailure.record("crl_publish", error, logger: context.logger)
        }
        Counter(label: "signet_certificates_revoked_total", dimensions: [("reason", reason.name), ("team", record.team ?? "")]).increment()
        return try JSONBody.response(record.detail(at: services.clock.now()))
    }
}

/// The PEM of certificates that recur in responses (CA chains), as JSON string literals ready to be
/// written into a body. Looked up by serial number (a Certificate's own hash runs over all its DER
/// octets) and confirmed by comparing the TBS octets.
final class PEMCache: @unchecked Sendable {
    private let entries = Locked<[Certificate.SerialNumber: (tbs: ArraySlice<UInt8>, json: String)]>([:])

    func jsonString(for certificate: Certificate) -> String {
        if let known = entries.withLock({ $0[certificate.serialNumber] }), known.tbs == certificate.tbsCertificateBytes { return known.json }
        let json = CanonicalJSON.string(PEM.encode(certificate.derBytes))
        entries.withLock { cache in
            if cache.count > 64 { cache.removeAll() }
            cache[certificate.serialNumber] = (certificate.tbsCertificateBytes, json)
        }
        return json
    }
}
