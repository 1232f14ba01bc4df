import Foundation
import HTTPTypes
import Hummingbird
import SignetCore
import SignetWire

/// One HTTP answer of a public DER protocol (OCSP, RFC 3161 time-stamps), built in one place for both
/// paths that write them — the router's controllers and ``ProtocolFastPath`` on the event loop — so
/// their status, headers and counting cannot drift apart. Building an answer counts it in
/// ``ProtocolMetrics``.
struct ProtocolAnswer {
    var status: HTTPResponse.Status
    var fields: HTTPFields
    var body: [UInt8]
    /// What went wrong, for the request log (such answers are always logged); nil for a normal answer.
    var failure: String?

    /// The answer as a router response.
    var response: Response {
        Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: OCSP

    /// An OCSP answer: 200, or 429/503 with Retry-After when it is `tryLater` for load. `caching` are
    /// its caching headers (``ocspCachingHeaders(_:cache:now:)``; the fast path reuses them for a second).
    static func ocsp(_ answer: OCSPResponder.Answer, caching: HTTPFields, metrics: ProtocolMetrics) -> ProtocolAnswer {
        metrics.ocspAnswered(answer.status)
        var fields = caching
        fields[.contentType] = "application/ocsp-response"
        var status = HTTPResponse.Status.ok
        if let refusal = answer.refusal {
            (refusal.code == .rateLimited ? metrics.ocspRateLimited : metrics.ocspBusy).increment()
            status = refusal.code == .rateLimited ? .tooManyRequests : .serviceUnavailable
            fields[.retryAfter] = String(refusal.retryAfter ?? 1)
        }
        return ProtocolAnswer(status: status, fields: fields, body: answer.der, failure: answer.status == .successful ? nil : "ocsp")
    }

    /// Caching headers of an OCSP answer: RFC 5019 §6.2 for a cacheable (GET) answer, else none.
    static func ocspCachingHeaders(_ answer: OCSPResponder.Answer, cache: Bool, now: Date) -> HTTPFields {
        var headers = HTTPFields()
        if cache, let produced = answer.producedAt, let next = answer.nextUpdate {
            // Cacheable until nextUpdate; kept short so a revocation reaches caches quickly.
            let maxAge = max(0, min(60, Int(next.timeIntervalSince(now))))
            headers[.cacheControl] = "public, max-age=\(maxAge), no-transform, must-revalidate"
            headers[.lastModified] = HTTPDate.format(produced)
            headers[.expires] = HTTPDate.format(next)
            headers[.eTag] = "\"" + Array(answer.der.suffix(16)).hexString + "\""
        } else {
            headers[.cacheControl] = "no-cache, no-store"
        }
        return headers
    }

    // MARK: Time-stamps

    static let timestampFields: HTTPFields = [.contentType: "application/timestamp-reply", .cacheControl: "no-store"]

    /// A time-stamp reply: a token or a rejection with 200, or a refusal for load (the client over its
    /// allowance, the HSM's queue full) as a systemFailure rejection with 429 or 503 and Retry-After.
    static func timestamp(_ reply: TimestampAuthority.Reply, metrics: ProtocolMetrics) -> ProtocolAnswer {
        if let refusal = reply.refusal { return timestampRefusal(refusal, metrics: metrics) }
        guard reply.granted else { return timestampRejection(reply.der, metrics: metrics) }
        metrics.tsaGranted.increment()
        return ProtocolAnswer(status: .ok, fields: timestampFields, body: reply.der)
    }

    /// A rejection in the protocol (a malformed or unacceptable query), with 200 as RFC 3161 §3.4 has it.
    static func timestampRejection(_ der: [UInt8], metrics: ProtocolMetrics) -> ProtocolAnswer {
        metrics.tsaRejected.increment()
        return ProtocolAnswer(status: .ok, fields: timestampFields, body: der, failure: "rejection")
    }

    /// A refusal for load, in the protocol (RFC 3161 systemFailure) and in HTTP.
    static func timestampRefusal(_ refusal: SignetError, metrics: ProtocolMetrics) -> ProtocolAnswer {
        let limited = refusal.code == .rateLimited
        (limited ? metrics.tsaRateLimited : metrics.tsaBusy).increment()
        var fields = timestampFields
        fields[.retryAfter] = String(refusal.retryAfter ?? 1)
        return ProtocolAnswer(status: limited ? .tooManyRequests : .serviceUnavailable, fields: fields,
                              body: TimestampAuthority.refusalDER(refusal), failure: refusal.code.name)
    }

    /// A query over the size limit: rejected in the protocol (badDataFormat), not with an HTTP error.
    static func oversizedTimestampQuery(metrics: ProtocolMetrics) -> ProtocolAnswer {
        timestampRejection(TimestampAuthority.oversizedRequestRejection, metrics: metrics)
    }
}
