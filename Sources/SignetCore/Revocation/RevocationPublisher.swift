import Foundation

/// Where published CRLs go (a directory, object storage…). Implemented outside Core.
public protocol CRLStorer: Sendable {
    func store(_ crl: PublishedCRL) throws
}

/// Keeps revocation information current: signs a CRL for every CA authority at start, again after
/// every revocation (its own API's at once, other processes' within one poll interval) and before
/// half of a CRL's window has passed; and tells the OCSP responder when cached answers are stale.
/// The latest CRLs are kept in memory for the HTTP server and handed to a ``CRLStorer``.
public final class RevocationPublisher: Sendable {
    public let ca: CertificateAuthority
    public let issuer: CRLIssuer
    public let responder: OCSPResponder
    public let storer: (any CRLStorer)?
    private let latest = Locked<[String: PublishedCRL]>([:])
    private let state = Locked<State>(State())

    struct State {
        var revision: Int64 = -1
        var dirty = true
        var publishing = false
    }

    public init(ca: CertificateAuthority, issuer: CRLIssuer, responder: OCSPResponder, storer: (any CRLStorer)?) {
        self.ca = ca
        self.issuer = issuer
        self.responder = responder
        self.storer = storer
    }

    /// The newest CRL of `authority`, if one was published by this process.
    public func crl(for authority: String) -> PublishedCRL? { latest.withLock { $0[authority] } }

    /// Signs and stores a CRL for every CA authority that still holds its key.
    @discardableResult
    public func publishAll() async throws -> [PublishedCRL] {
        var published: [PublishedCRL] = []
        for authority in ca.authorities where authority.record.kind == Profile.Kind.rootCA.rawValue || authority.record.kind == Profile.Kind.issuingCA.rawValue {
            let crl = try await issuer.issue(for: authority)
            try storer?.store(crl)
            latest.withLock { $0[crl.issuer] = crl }
            published.append(crl)
        }
        return published
    }

    /// Call after a revocation made in this process: OCSP stops serving cached answers at once and
    /// the next ``tick()`` republishes the CRLs.
    public func revocationHappened() async {
        if let revision = try? await issuer.repository.revocationRevision() {
            responder.noteRevision(revision)
        }
        state.withLock { $0.dirty = true }
        await tick()
    }

    /// One round of the publishing loop; the server calls it every few hundred milliseconds.
    public func tick() async {
        let now = issuer.clock.now()
        guard let revision = try? await issuer.repository.revocationRevision() else { return }
        responder.noteRevision(revision)
        let stale = latest.withLock { crls in crls.isEmpty || crls.values.contains { $0.needsRefresh(at: now) } }
        let shouldPublish = state.withLock { s -> Bool in
            if s.revision != revision { s.revision = revision; s.dirty = true }
            if stale { s.dirty = true }
            guard s.dirty, !s.publishing else { return false }
            s.publishing = true
            s.dirty = false
            return true
        }
        guard shouldPublish else { return }
        defer { state.withLock { $0.publishing = false } }
        do {
            try await publishAll()
        } catch {
            state.withLock { $0.dirty = true }
        }
    }
}
