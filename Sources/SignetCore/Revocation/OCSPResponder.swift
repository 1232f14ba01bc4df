import Crypto
import Foundation
import SignetWire
import SwiftASN1
import X509

/// The RFC 6960 responder (with the RFC 5019 lightweight profile and RFC 8954 nonces). It never
/// throws: every failure is answered in the protocol (`malformedRequest`, `unauthorized`,
/// `internalError`). Responses are signed by the issuer's delegated OCSP signer (EKU OCSPSigning,
/// id-pkix-ocsp-nocheck, key in the HSM), whose certificate is included; an issuer without one (the
/// root) answers with its own key.
///
/// Nonce-less single-certificate responses are pre-signed and reused until they are half-way to
/// nextUpdate or a revocation happens anywhere (the revocation revision moves), so the common
/// RFC 5019 GET costs a store read and no HSM call. The caches are bounded in bytes
/// (``Settings/cacheBytes``), since their keys come from the network: asking about ever new serials
/// cannot make them grow past it.
///
/// A response that must be signed is signed on the CA's ``SigningQueue``; when the queue is full, or
/// the caller's `beforeSigning` check refuses (a client over its rate limit), the answer is
/// `tryLater` (RFC 6960 §4.2.1) carrying that refusal, so the server can add Retry-After.
public final class OCSPResponder: Sendable {
    public struct Settings: Sendable {
        /// nextUpdate - thisUpdate of each response.
        public var validity: ValidityDuration
        /// More Requests than this in one OCSPRequest is a malformedRequest.
        public var maximumRequests: Int
        /// The most the cached responses may take, keys and DER together, across both caches.
        public var cacheBytes: Int
        public init(validity: ValidityDuration = .hours(1), maximumRequests: Int = TBSRequest.defaultMaximumRequests,
                    cacheBytes: Int = OCSPResponder.defaultCacheBytes) {
            self.validity = validity
            self.maximumRequests = maximumRequests
            self.cacheBytes = cacheBytes
        }
    }

    /// 64 MiB: some 20,000 certificates' responses, each cached under its CertID and its request bytes.
    public static let defaultCacheBytes = 64 << 20

    /// An encoded response and what HTTP caching may do with it.
    public struct Answer: Sendable {
        public let der: [UInt8]
        public let status: OCSPResponseStatus
        /// True for nonce-less successful responses, which GET may cache until `nextUpdate`.
        public let cacheable: Bool
        public let producedAt: Date?
        public let nextUpdate: Date?
        /// Why a `tryLater` answer was given (``SignetError/Code/hsmBusy`` or ``SignetError/Code/rateLimited``,
        /// with the seconds to wait); nil for every other answer.
        public var refusal: SignetError? = nil
    }

    public let ca: CertificateAuthority
    public let repository: any SignetRepository
    public let settings: Settings
    private let revision = Locked<Int64>(0)
    /// Pre-signed answers by the DER of their CertID.
    private let cache: Locked<BoundedCache<[UInt8], Cached>>
    /// The same answers keyed by the whole request's bytes, so a repeated nonce-less request (the
    /// RFC 5019 case: every client asks the same question the same way) is answered without parsing.
    private let requestCache: Locked<BoundedCache<[UInt8], Cached>>
    private let issuerIndex = Locked<[String: IssuerHashes]>([:])

    struct Cached {
        let answer: Answer
        let revision: Int64
        let refreshAt: Date
    }

    /// The hashes by which a CertID names an issuer (RFC 6960 §4.1.1), per supported algorithm.
    struct IssuerHashes {
        let name: [String: [UInt8]]
        let key: [String: [UInt8]]
    }

    /// What an entry is charged beyond its key and DER: the dictionary slot, array headers, dates.
    static let entryOverhead = 160

    public init(ca: CertificateAuthority, repository: any SignetRepository, settings: Settings = .init()) {
        self.ca = ca
        self.repository = repository
        self.settings = settings
        // Half the budget each; an answer is shared by both caches but charged to each.
        self.cache = Locked(BoundedCache(budget: settings.cacheBytes / 2))
        self.requestCache = Locked(BoundedCache(budget: settings.cacheBytes / 2))
    }

    /// What the cached answers take now, both caches together (for tests and metrics).
    public var cachedBytes: Int { cache.withLock { $0.cost } + requestCache.withLock { $0.cost } }

    /// Tells the responder that revocations happened; cached responses signed before are dropped.
    public func noteRevision(_ value: Int64) {
        let changed = revision.withLock { current -> Bool in
            guard value != current else { return false }
            current = value
            return true
        }
        if changed {
            cache.withLock { $0.removeAll() }
            requestCache.withLock { $0.removeAll() }
        }
    }

    /// The answer to `requestDER`. `beforeSigning` runs only when the answer has to be signed (not
    /// for cached answers or refusals); if it throws ``SignetError/Code/rateLimited`` the answer is
    /// `tryLater` with that refusal, as it is when the signing queue is full.
    public func respond(to requestDER: [UInt8], beforeSigning: @Sendable () throws -> Void = {}) async -> Answer {
        do {
            return try await answer(requestDER, beforeSigning: beforeSigning)
        } catch let error as Refusal {
            return Self.unsuccessful(error.status)
        } catch let error as SignetError where error.code == .hsmBusy || error.code == .rateLimited {
            var answer = Self.unsuccessful(.tryLater)
            answer.refusal = error
            return answer
        } catch {
            // RFC 6960 §2.3: an HSM or store that is down is temporary (tryLater); anything else is ours.
            let code = (error as? SignetError)?.code ?? (error as? SignetErrorConvertible)?.asSignetError.code
            return Self.unsuccessful(code == .keyCustody || code == .storage ? .tryLater : .internalError)
        }
    }

    struct Refusal: Error { let status: OCSPResponseStatus }

    /// An unsuccessful response (no responseBytes), for failures found before the responder runs.
    public static func unsuccessfulAnswer(_ status: OCSPResponseStatus) -> Answer { unsuccessful(status) }

    static func unsuccessful(_ status: OCSPResponseStatus) -> Answer {
        let der = (try? OCSPResponse.unsuccessful(status).derBytes()) ?? [0x30, 0x03, 0x0a, 0x01, UInt8(status.rawValue)]
        return Answer(der: der, status: status, cacheable: false, producedAt: nil, nextUpdate: nil)
    }

    /// The answer to a request asked before in exactly these bytes, if it is still current (no
    /// revocation since and not due for refresh); `nil` means "call ``respond(to:)``". It does no I/O
    /// and never signs, so the server may call it on a network thread.
    public func immediateAnswer(to requestDER: [UInt8]) -> Answer? {
        let currentRevision = revision.withLock { $0 }
        guard let hit = requestCache.withLock({ $0.value(for: requestDER) }), hit.revision == currentRevision, ca.clock.now() < hit.refreshAt else { return nil }
        return hit.answer
    }

    private func answer(_ requestDER: [UInt8], beforeSigning: () throws -> Void) async throws -> Answer {
        if let hit = immediateAnswer(to: requestDER) { return hit }
        let currentRevision = revision.withLock { $0 }
        let now = ca.clock.now()
        let tbs = try Self.acceptedRequest(requestDER, maximumRequests: settings.maximumRequests).tbsRequest
        let cacheKey: [UInt8]? = (tbs.nonce == nil && tbs.requestList.count == 1) ? try tbs.requestList[0].reqCert.derBytes() : nil
        if let cacheKey, let hit = cache.withLock({ $0.value(for: cacheKey) }), hit.revision == currentRevision, now < hit.refreshAt {
            remember(requestDER, hit)
            return hit.answer
        }

        // Every CertID must name the same issuer, one Signet serves (RFC 6960 §2.3 "unauthorized").
        var issuer: LoadedAuthority?
        for single in tbs.requestList {
            guard let match = try findIssuer(single.reqCert) else { throw Refusal(status: .unauthorized) }
            if let issuer, issuer.name != match.name { throw Refusal(status: .unauthorized) }
            issuer = match
        }
        guard let issuer else { throw Refusal(status: .malformedRequest) }
        let delegated = ca.authorities.filter { $0.record.kind == Profile.Kind.ocspSigner.rawValue && $0.record.parent == issuer.name && $0.record.state == .active }
            .max { $0.record.generation < $1.record.generation }
        let signer = delegated ?? issuer

        let thisUpdate = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let nextUpdate = thisUpdate.addingTimeInterval(settings.validity.timeInterval)
        var responses: [SingleResponse] = []
        for single in tbs.requestList {
            let certID = single.reqCert
            let status: CertStatus
            let record = try await repository.certificate(serial: certID.serialNumber.hexString)
            switch record {
            case let record? where record.issuer == issuer.name && record.status == .valid:
                status = .good
            case let record? where record.issuer == issuer.name && record.status == .revoked:
                status = .revoked(try RevokedInfo(
                    revocationTime: record.revokedAt ?? thisUpdate,
                    revocationReason: record.revocationReason))
            default:
                // Never issued by this issuer, or reserved but never handed out.
                status = .unknown
            }
            responses.append(try SingleResponse(certID: certID, certStatus: status, thisUpdate: thisUpdate, nextUpdate: nextUpdate))
        }
        let responderKeyHash = Array(Insecure.SHA1.hash(data: Array(signer.certificate.publicKey.subjectPublicKeyInfoBytes)))
        let data = try ResponseData(
            responderID: .byKey(responderKeyHash), producedAt: now, responses: responses,
            responseExtensions: tbs.nonce.map { [OCSPNonce.makeExtension(echoing: $0)] } ?? [])
        let tbsBytes = try data.derBytes()
        try beforeSigning()
        let key = signer.key
        let signature = try await ca.signing.run { try key.sign(message: tbsBytes) }
        let basic = try BasicOCSPResponse(
            tbsResponseData: tbsBytes, signatureAlgorithm: try SignetWire.AlgorithmIdentifier(signer.key.signatureAlgorithm),
            signature: signature, certs: delegated.map { [$0.certificate] } ?? [])
        let answer = Answer(der: try OCSPResponse(basicResponse: basic).derBytes(), status: .successful, cacheable: tbs.nonce == nil,
                            producedAt: thisUpdate, nextUpdate: nextUpdate)
        if let cacheKey {
            let refreshAt = thisUpdate.addingTimeInterval(settings.validity.timeInterval / 2)
            let cached = Cached(answer: answer, revision: currentRevision, refreshAt: refreshAt)
            cache.withLock { $0.set(cached, for: cacheKey, cost: cacheKey.count + answer.der.count + Self.entryOverhead) }
            remember(requestDER, cached)
        }
        return answer
    }

    /// The request in `requestDER` if it is one this responder reads: DER, at most `maximumRequests`
    /// CertIDs, a nonce (if any) of 1-32 octets (RFC 8954). Anything else is malformedRequest.
    /// Pure: the whole of what a request's bytes decide before issuers and the store are asked.
    public static func acceptedRequest(_ requestDER: [UInt8], maximumRequests: Int) throws -> OCSPRequest {
        let request: OCSPRequest
        do {
            request = try OCSPRequest(derEncoded: requestDER, maximumRequests: maximumRequests)
        } catch {
            throw Refusal(status: .malformedRequest)
        }
        if let nonce = request.tbsRequest.nonce {
            do { try OCSPNonce.validate(extensionValue: nonce) } catch { throw Refusal(status: .malformedRequest) }
        }
        return request
    }

    private func remember(_ requestDER: [UInt8], _ cached: Cached) {
        requestCache.withLock { $0.set(cached, for: requestDER, cost: requestDER.count + cached.answer.der.count + Self.entryOverhead) }
    }

    /// The CA authority whose name and key hashes the CertID carries, for SHA-1 and SHA-2 CertIDs.
    private func findIssuer(_ certID: CertID) throws -> LoadedAuthority? {
        let algorithm: String
        if certID.hashAlgorithm.matches(.sha1) { algorithm = "sha1" }
        else if certID.hashAlgorithm.matches(.sha256) { algorithm = "sha256" }
        else if certID.hashAlgorithm.matches(.sha384) { algorithm = "sha384" }
        else if certID.hashAlgorithm.matches(.sha512) { algorithm = "sha512" }
        else { return nil }
        for authority in ca.authorities where authority.record.kind == Profile.Kind.issuingCA.rawValue || authority.record.kind == Profile.Kind.rootCA.rawValue {
            let hashes = try hashes(for: authority)
            if hashes.name[algorithm] == certID.issuerNameHash && hashes.key[algorithm] == certID.issuerKeyHash {
                return authority
            }
        }
        return nil
    }

    private func hashes(for authority: LoadedAuthority) throws -> IssuerHashes {
        if let known = issuerIndex.withLock({ $0[authority.name] }) { return known }
        let nameDER = try authority.certificate.subject.derBytes()
        let keyBits = Array(authority.certificate.publicKey.subjectPublicKeyInfoBytes)
        func all(_ data: [UInt8]) -> [String: [UInt8]] {
            ["sha1": Array(Insecure.SHA1.hash(data: data)), "sha256": Array(SHA256.hash(data: data)),
             "sha384": Array(SHA384.hash(data: data)), "sha512": Array(SHA512.hash(data: data))]
        }
        let hashes = IssuerHashes(name: all(nameDER), key: all(keyBits))
        issuerIndex.withLock { $0[authority.name] = hashes }
        return hashes
    }
}
