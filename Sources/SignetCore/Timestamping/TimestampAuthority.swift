import Crypto
import Foundation
import SignetWire
import SwiftASN1
import X509

/// The RFC 3161 time-stamp authority (with RFC 5816's ESSCertIDv2). It never throws: every request
/// gets a `TimeStampResp`, granted or rejected with the PKIFailureInfo that names the problem:
///
/// | request | answer |
/// |---|---|
/// | not DER / not a TimeStampReq / imprint of the wrong length | rejection, badDataFormat |
/// | version other than 1 | rejection, badRequest |
/// | hash algorithm other than SHA-256/384/512 | rejection, badAlg |
/// | reqPolicy other than the TSA's | rejection, unacceptedPolicy |
/// | any request extension | rejection, unacceptedExtension |
/// | Signet failure (HSM, store) | rejection, systemFailure |
/// | HSM saturated, or client over its rate limit | rejection, systemFailure, with ``Reply/refusal`` |
///
/// For the last row RFC 3161 has no better code: `timeNotAvailable` would tell the client the TSA's
/// clock is broken. The statusString says to try again and when, and the server answers it with
/// HTTP 503 or 429 and Retry-After, which HTTP clients act on.
///
/// The token is CMS SignedData over a TSTInfo (policy from the `timestamping` profile, imprint
/// copied, a never-reused serial, genTime from the clock to the millisecond with a stated accuracy,
/// the nonce echoed), with signed attributes contentType, messageDigest and signingCertificateV2,
/// signed in the HSM by the active TSA authority; the TSA certificate and its issuing CA are
/// included when certReq is set.
public final class TimestampAuthority: Sendable {
    public let ca: CertificateAuthority
    public let serials: TimestampSerialAllocator
    public let policy: ASN1ObjectIdentifier
    public let accuracy: Accuracy
    /// The `timestamping` profile whose active authority signs.
    let profileName: String
    /// Upper bound on a query; real ones are under 200 octets.
    public static let maximumRequestSize = 16 * 1024

    static let acceptedDigests: [SignetWire.AlgorithmIdentifier] = [.sha256, .sha384, .sha512]

    private let signerCache = Locked<SignerMaterial?>(nil)

    /// Per-authority material computed once: the certificate hash for ESSCertIDv2 and the chain. A
    /// class, so that handing it to each token is one reference, not a copy of every field.
    final class SignerMaterial: Sendable {
        let name: String
        let authority: LoadedAuthority
        /// The token's SignedData, signer parts encoded once: with the TSA and issuing certificates
        /// (certReq) and without. Both carry signingCertificateV2 (ESSCertIDv2 of the TSA certificate).
        let withCertificates: PreparedCMSSigner
        let withoutCertificates: PreparedCMSSigner
        /// The TSTInfo fields every token of this authority shares: policy, accuracy, tsa name.
        let tstInfo: PreparedTSTInfo

        init(name: String, authority: LoadedAuthority, withCertificates: PreparedCMSSigner, withoutCertificates: PreparedCMSSigner, tstInfo: PreparedTSTInfo) {
            (self.name, self.authority, self.tstInfo) = (name, authority, tstInfo)
            (self.withCertificates, self.withoutCertificates) = (withCertificates, withoutCertificates)
        }
    }

    public init(ca: CertificateAuthority, serials: TimestampSerialAllocator, accuracy: Accuracy) throws {
        let profiles = ca.profiles.profiles(of: .timestamping)
        guard let profile = profiles.first, let policy = profile.policies.first else {
            throw SignetError.configuration("The timestamping profile must name a certificate policy: it is the TSA policy (RFC 3161 §2.4.2)")
        }
        self.ca = ca
        self.serials = serials
        self.policy = policy
        self.accuracy = accuracy
        self.profileName = profile.name
    }

    /// A `TimeStampResp` and, when it is a refusal to try later, why.
    public struct Reply: Sendable {
        public let der: [UInt8]
        /// True for a token, false for a rejection.
        public let granted: Bool
        /// ``SignetError/Code/hsmBusy`` or ``SignetError/Code/rateLimited`` (with the seconds to wait)
        /// when the request was refused for load; nil otherwise.
        public let refusal: SignetError?

        init(der: [UInt8], granted: Bool, refusal: SignetError? = nil) {
            (self.der, self.granted, self.refusal) = (der, granted, refusal)
        }
    }

    /// The reply to `requestDER`, signed on the CA's ``SigningQueue``. `beforeSigning` runs once the
    /// request is accepted, before anything is reserved or signed; a ``SignetError/Code/rateLimited``
    /// it throws becomes a rejection carrying that refusal, as does a full signing queue.
    public func respond(to requestDER: [UInt8], beforeSigning: @Sendable () throws -> Void = {}) async -> Reply {
        do {
            let request = try parse(requestDER)
            try beforeSigning()
            try ca.signing.checkCapacity()
            let serial = try await serials.next()
            return try await ca.signing.run { self.token(for: request, serial: serial) }
        } catch let error as SignetError where error.code == .hsmBusy || error.code == .rateLimited {
            return Reply(der: Self.refusalDER(error), granted: false, refusal: error)
        } catch {
            return Reply(der: Self.rejectionDER(error), granted: false)
        }
    }

    /// The first step of answering without waiting: the request checked, or its rejection.
    public enum Admission: Sendable {
        /// Refused in the protocol; no signature needed.
        case rejected([UInt8])
        /// Acceptable: sign it with ``token(for:serial:)``.
        case accepted(TimeStampReq)
    }

    /// Parses and checks a request without I/O or signing, so a network thread may call it.
    public func admit(_ requestDER: [UInt8]) -> Admission {
        do {
            return .accepted(try parse(requestDER))
        } catch {
            return .rejected(Self.rejectionDER(error))
        }
    }

    /// The granted reply for an admitted request with a serial from ``TimestampSerialAllocator/takeIfAvailable()``,
    /// or a systemFailure rejection. Calls the HSM: run it on the signing queue.
    public func token(for request: TimeStampReq, serial: Int64) -> Reply {
        do {
            return Reply(der: try sign(request, serial: serial), granted: true)
        } catch {
            return Reply(der: Self.rejectionDER(error), granted: false)
        }
    }

    /// The reply when it needs no waiting for the store, signed on the calling thread: a rejection,
    /// or a token when a reserved serial is at hand. `nil` means "call ``respond(to:beforeSigning:)``".
    /// For measuring the TSA alone (`signet bench tsa`); the server signs on the queue.
    public func immediateResponse(to requestDER: [UInt8]) -> [UInt8]? {
        switch admit(requestDER) {
        case .rejected(let der): return der
        case .accepted(let request):
            guard let serial = serials.takeIfAvailable() else { return nil }
            return token(for: request, serial: serial).der
        }
    }

    /// The rejection that tells a client to come back later (systemFailure, the refusal's reason).
    public static func refusalDER(_ refusal: SignetError) -> [UInt8] {
        rejectionDER(Refusal(failure: .systemFailure, reason: refusal.reason))
    }

    /// The rejection of a request larger than ``maximumRequestSize``, for callers that stopped reading it.
    public static let oversizedRequestRejection = rejectionDER(Refusal.tooLarge)

    /// The `TimeStampResp` rejecting a request for `error`: the failInfo and reason of a refusal from
    /// ``acceptedRequest(_:policy:)``, systemFailure for anything else.
    public static func rejectionDER(_ error: any Error) -> [UInt8] {
        let rejection: TimeStampResp
        if let refusal = error as? Refusal {
            rejection = (try? TimeStampResp.rejection(refusal.failure, statusString: [refusal.reason])) ?? Self.fallback
        } else {
            rejection = (try? TimeStampResp.rejection(.systemFailure, statusString: ["The TSA could not sign the token"])) ?? Self.fallback
        }
        return (try? rejection.derBytes()) ?? []
    }

    static let fallback = try! TimeStampResp.rejection(.systemFailure)

    struct Refusal: Error {
        let failure: PKIFailureInfo
        let reason: String

        static let tooLarge = Refusal(failure: .badDataFormat, reason: "The request is too large")
    }

    /// The request, checked against what this TSA accepts, or a ``Refusal``.
    func parse(_ requestDER: [UInt8]) throws -> TimeStampReq {
        try Self.acceptedRequest(requestDER, policy: policy)
    }

    /// The request in `requestDER`, checked against what a TSA issuing under `policy` accepts, or a
    /// refusal that ``rejectionDER(_:)`` answers. Pure: the whole of what a request's bytes decide.
    public static func acceptedRequest(_ requestDER: [UInt8], policy: ASN1ObjectIdentifier) throws -> TimeStampReq {
        guard requestDER.count <= Self.maximumRequestSize else { throw Refusal.tooLarge }
        let request: TimeStampReq
        do {
            request = try TimeStampReq(derEncoded: requestDER)
        } catch {
            if let version = declaredVersion(requestDER), version != 1 {
                throw Refusal(failure: .badRequest, reason: "Only version 1 requests are supported (RFC 3161 §2.4.1), got version \(version)")
            }
            throw Refusal(failure: .badDataFormat, reason: "The request is not a DER TimeStampReq")
        }
        guard acceptedDigests.contains(where: { $0.matches(request.messageImprint.hashAlgorithm) }) else {
            throw Refusal(failure: .badAlg, reason: "The message imprint must use SHA-256, SHA-384 or SHA-512")
        }
        if let requested = request.reqPolicy, requested != policy {
            throw Refusal(failure: .unacceptedPolicy, reason: "This TSA issues tokens under policy \(policy) only")
        }
        guard request.extensions.isEmpty else {
            throw Refusal(failure: .unacceptedExtension, reason: "This TSA accepts no request extensions")
        }
        return request
    }

    /// The granted TimeStampResp for an accepted request, signed in the HSM.
    func sign(_ request: TimeStampReq, serial: Int64) throws -> [UInt8] {
        let signer = try material()
        let content = try signer.tstInfo.encode(
            messageImprint: request.messageImprint, serialNumber: serial.bigEndianMagnitude, genTime: ca.clock.now(), nonce: request.nonce)
        let pending = try (request.certReq ? signer.withCertificates : signer.withoutCertificates)
            .pending(eContent: content, messageDigest: SHA256.hash(data: content).withUnsafeBytes { Array($0) })
        let signature = try signer.authority.key.sign(message: pending.bytesToSign)
        return TimeStampResp.grantedDER(token: try pending.assemble(signature: signature))
    }

    /// The active TSA authority and what is derived from it, recomputed when the authority changes.
    private func material() throws -> SignerMaterial {
        let authority = try ca.activeAuthority(profile: profileName)
        if let cached = signerCache.withLock({ $0 }), cached.name == authority.name { return cached }
        let certificateHash = Array(SHA256.hash(data: authority.certificate.derBytes))
        let essCertID = try SigningCertificateV2(certs: [try ESSCertIDv2(certificate: authority.certificate, certHash: certificateHash)])
        var chain = [authority.certificate]
        if let parent = authority.record.parent, let issuer = try? ca.authority(named: parent) { chain.append(issuer.certificate) }
        func prepared(_ certificates: [Certificate]) throws -> PreparedCMSSigner {
            try PreparedCMSSigner(
                eContentType: .CMSContentType.tstInfo, digestAlgorithm: .sha256, signerCertificate: authority.certificate,
                certificates: certificates, signatureAlgorithm: try SignetWire.AlgorithmIdentifier(authority.key.signatureAlgorithm),
                signedAttributes: [try .signingCertificateV2(essCertID)])
        }
        let material = SignerMaterial(
            name: authority.name, authority: authority, withCertificates: try prepared(chain), withoutCertificates: try prepared([]),
            tstInfo: try PreparedTSTInfo(policy: policy, accuracy: accuracy, tsa: .directoryName(authority.certificate.subject)))
        signerCache.withLock { $0 = material }
        return material
    }

    /// The version a request claims, read without trusting the rest of it.
    static func declaredVersion(_ der: [UInt8]) -> Int? {
        guard let node = try? DER.parse(der), let children = try? DERNodes.children(of: node, identifier: .sequence),
              let first = children.first, let version = try? Int(derEncoded: first) else { return nil }
        return version
    }
}
