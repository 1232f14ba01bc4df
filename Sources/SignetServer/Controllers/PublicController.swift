import Foundation
import Hummingbird
import Prometheus
import SignetCore

/// Unauthenticated endpoints for relying parties and operators: CA certificates (the AIA caIssuers
/// target, DER or PEM), the chains clients and verifiers are fed (`/ca/chain.pem`, `/tsa/chain.pem`),
/// health, metrics and the OpenAPI document.
struct PublicController {
    let services: SignetServices
    let metrics: PrometheusCollectorRegistry
    /// CA certificates already served, by authority name. An authority's certificate never changes
    /// once recorded and authorities are never deleted (retired ones stay published), so a name found
    /// once is answered from memory; a name not found is asked of the store every time, so a CA
    /// created by rotation, here or in another process, is served as soon as it is recorded.
    private let servedCertificates = Locked<[String: [UInt8]]>([:])

    /// Expiry, rotation, CRL, checkpoint and up gauges, set at each scrape.
    let gauges: OperationalGauges

    init(services: SignetServices, metrics: PrometheusCollectorRegistry) {
        self.services = services
        self.metrics = metrics
        self.gauges = OperationalGauges(registry: metrics)
    }

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .get, "/ca/chain.pem", caChain)
        table.add(router, .get, "/ca/{file}", caCertificate)
        table.add(router, .get, "/tsa/chain.pem", tsaChain)
        table.add(router, .get, "/healthz", health)
        table.add(router, .get, "/metrics", prometheus)
        table.add(router, .get, "/openapi.json", openAPI)
    }

    /// `/ca/<name>.crt` (DER) or `/ca/<name>.pem`: an authority by name (`issuing-ca-1.crt`), or the newest
    /// active `root` / `issuing`. Retired authorities stay published: old chains must keep building.
    @Sendable func caCertificate(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let file = context.parameters.get("file") ?? ""
        let pem = file.hasSuffix(".pem")
        guard file.hasSuffix(".crt") || pem else { throw SignetError.notFound("CA certificates are served as /ca/<name>.crt (DER) or /ca/<name>.pem") }
        let name = String(file.dropLast(4))
        let caKinds = [Profile.Kind.rootCA.rawValue, Profile.Kind.issuingCA.rawValue]
        let der: [UInt8]
        if AuthorityAlias.isAlias(name) {
            // Which authority an alias names changes with rotation: always asked of the store.
            guard let newest = AuthorityAlias.resolve(name, among: try await services.repository.authorities()), caKinds.contains(newest.kind) else {
                throw SignetError.notFound("No active CA to serve as \(file)")
            }
            der = newest.certificateDER
        } else if let served = servedCertificates.withLock({ $0[name] }) {
            der = served
        } else {
            // By name, the URL in every certificate's AIA: one row, however many generations rotation left.
            guard let authority = try await services.repository.authority(named: name), caKinds.contains(authority.kind) else {
                throw SignetError.notFound("No CA certificate named \(name)")
            }
            der = authority.certificateDER
            servedCertificates.withLock { $0[name] = der }
        }
        var headers = HTTPFields()
        headers[.cacheControl] = "public, max-age=3600"
        if pem { return ResponseBody.bytes(Array((PEM.encode(der) + "\n").utf8), contentType: "application/x-pem-file", extra: headers) }
        return ResponseBody.bytes(der, contentType: "application/pkix-cert", extra: headers)
    }

    /// `/ca/chain.pem`: the issuing CAs that are active, published as `next` ahead of a rotation, or
    /// retiring (their certificates are still valid), then the root: what a client needs to build the
    /// chain of any certificate Signet has out there, current or about to be.
    @Sendable func caChain(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let authorities = try await services.repository.authorities().filter { $0.state != .retired }
        let order: [AuthorityState] = [.active, .next, .retiring]
        func sorted(_ kind: Profile.Kind) -> [AuthorityRecord] {
            authorities.filter { $0.kind == kind.rawValue }.sorted {
                (order.firstIndex(of: $0.state) ?? 3, -$0.generation) < (order.firstIndex(of: $1.state) ?? 3, -$1.generation)
            }
        }
        let bundle = sorted(.issuingCA) + sorted(.rootCA)
        guard !bundle.isEmpty else { throw SignetError.notFound("No CA certificates to serve") }
        return Self.pemBundle(bundle.map(\.certificateDER))
    }

    /// `/tsa/chain.pem`: the active TSA's certificate, then its issuers up to the root, in the order RFC
    /// 3161 verifiers take them (`openssl ts -verify -untrusted`, cosign's `--timestamp-certificate-chain`).
    @Sendable func tsaChain(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let tsa = try await services.repository.authorities()
            .filter { $0.kind == Profile.Kind.timestamping.rawValue && $0.state == .active }.max { $0.generation < $1.generation }
        guard var current = tsa else { throw SignetError.notFound("No active timestamping authority") }
        var chain = [current.certificateDER]
        // Bounded: a parent loop in the store cannot hang the request.
        while let parent = current.parent, chain.count < 8, let next = try await services.repository.authority(named: parent) {
            chain.append(next.certificateDER)
            current = next
        }
        return Self.pemBundle(chain)
    }

    static func pemBundle(_ certificates: [[UInt8]]) -> Response {
        var headers = HTTPFields()
        // Short: rotation changes what belongs in a chain.
        headers[.cacheControl] = "public, max-age=300"
        let text = certificates.map { PEM.encode($0) + "\n" }.joined()
        return ResponseBody.bytes(Array(text.utf8), contentType: "application/pem-certificate-chain", extra: headers)
    }

    struct Health: Encodable {
        let status: String
        let store: String
        let hsm: String
        let authorities: [String]
    }

    /// 200 when the store answers a query and the HSM lists its keys; otherwise the error of the one
    /// that failed (503 `store_unavailable` or `hsm_unavailable`), so a load balancer takes the node out.
    @Sendable func health(_ request: Request, context: SignetRequestContext) async throws -> Response {
        // Touch the store so a broken database shows up here, not only in failing requests.
        _ = try await services.repository.countCertificates(.init(status: .pending, limit: 1))
        try await services.probeHSM()
        return try JSONBody.response(Health(status: "ok", store: "ok", hsm: "ok", authorities: services.ca.authorities.map(\.name)))
    }

    @Sendable func prometheus(_ request: Request, context: SignetRequestContext) async throws -> Response {
        await gauges.update(services)
        return ResponseBody.bytes(metrics.emitToBuffer(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    @Sendable func openAPI(_ request: Request, context: SignetRequestContext) async throws -> Response {
        ResponseBody.bytes(Array(OpenAPIDocument.json.utf8), contentType: "application/json")
    }
}
