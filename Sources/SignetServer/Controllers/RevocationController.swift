import Foundation
import Hummingbird
import Logging
import SignetCore
import SignetWire

/// The relying parties' side of revocation: `GET /crl/<issuer>.crl` and the OCSP responder at
/// `POST /ocsp` and `GET /ocsp/<base64 request>` (RFC 6960 Appendix A, RFC 5019 §5).
///
/// An OCSP request that needs a new signature counts against the client's allowance
/// (``ClientRateLimiter``); past it, or when the HSM's queue is full, the answer is `tryLater` with
/// HTTP 429 or 503 and Retry-After. Answers from the cache are never limited.
struct RevocationController {
    let services: SignetServices
    let metrics: ProtocolMetrics

    /// OCSP requests are a few hundred octets; anything over this is refused in the protocol.
    static let maximumRequestSize = 16 * 1024

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .get, "/crl/{file}", crl)
        table.add(router, .post, "/ocsp", ocspPost)
        // The base64 in a GET may contain '/', so the path can have any number of segments.
        table.add(router, .get, "/ocsp/{request}", routerPath: "/ocsp/**", ocspGet)
    }

    @Sendable func crl(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let file = context.parameters.get("file") ?? ""
        guard file.hasSuffix(".crl") else { throw SignetError.notFound("CRLs are served as /crl/<issuer-name>.crl") }
        let name = String(file.dropLast(4))
        guard let crl = try await services.revocation.currentCRL(for: name) else { throw SignetError.notFound("No CRL for issuer '\(name)'") }
        let now = services.clock.now()
        var headers = HTTPFields()
        let maxAge = max(0, min(300, Int(crl.nextUpdate.timeIntervalSince(now))))
        headers[.cacheControl] = "public, max-age=\(maxAge), no-transform"
        headers[.lastModified] = Self.httpDate(crl.thisUpdate)
        headers[.expires] = Self.httpDate(crl.nextUpdate)
        headers[.eTag] = "\"\(crl.issuer)-\(crl.number)\""
        if request.headers[.ifNoneMatch] == headers[.eTag] {
            return Response(status: .notModified, headers: headers)
        }
        return ResponseBody.bytes(crl.der, contentType: "application/pkix-crl", extra: headers)
    }

    @Sendable func ocspPost(_ request: Request, context: SignetRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumRequestSize)
        } catch {
            return answered(OCSPResponder.unsuccessfulAnswer(.malformedRequest), cache: false, context: context)
        }
        return answered(await respond(to: Array(buffer: body), context: context), cache: false, context: context)
    }

    @Sendable func ocspGet(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let path = request.uri.path
        let encoded = path.hasPrefix("/ocsp/") ? path.dropFirst("/ocsp/".count) : ""
        guard let der = OCSPGETRequest.decode(encoded) else {
            return answered(OCSPResponder.unsuccessfulAnswer(.malformedRequest), cache: false, context: context)
        }
        let answer = await respond(to: der, context: context)
        return answered(answer, cache: answer.cacheable, context: context)
    }

    /// The responder's answer; a signature it has to make counts against the client's allowance.
    private func respond(to der: [UInt8], context: SignetRequestContext) async -> OCSPResponder.Answer {
        let limiter = services.signingRateLimiter, clock = services.clock, client = context.clientAddress
        return await services.revocation.responder.respond(to: der, beforeSigning: { try limiter.check(client, at: clock.now()) })
    }

    /// The HTTP response for an answer (``ProtocolAnswer/ocsp(_:caching:metrics:)``, as the fast path
    /// writes it); one that is not `successful` is logged with its reason.
    private func answered(_ answer: OCSPResponder.Answer, cache: Bool, context: SignetRequestContext) -> Response {
        let caching = ProtocolAnswer.ocspCachingHeaders(answer, cache: cache, now: services.clock.now())
        if answer.status != .successful {
            context.logger.info("ocsp refused", metadata: ["ocsp_status": "\(answer.status)", "reason": "\(answer.refusal?.reason ?? "")"])
        }
        return ProtocolAnswer.ocsp(answer, caching: caching, metrics: metrics).response
    }

    static func httpDate(_ date: Date) -> String { HTTPDate.format(date) }
}

/// Runs the revocation publisher's loop inside the server: CRLs are re-signed after revocations made
/// by any process (noticed within `interval`) and before they expire.
struct RevocationPublishingService: Service {
    let publisher: RevocationPublisher
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Pick up authorities changed by another process (`signet rotate`) before publishing.
            do {
                try await publisher.ca.reloadIfChanged()
            } catch {
                BackgroundFailure.record("authority_reload", error, logger: logger)
            }
            do {
                try await publisher.tick()
            } catch {
                BackgroundFailure.record("crl_publish", error, logger: logger)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

import ServiceLifecycle
