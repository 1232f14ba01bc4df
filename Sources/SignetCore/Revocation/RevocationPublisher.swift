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

    /// The newest CRL of `authority` this process holds in memory (signed here, or read from the store).
    public func crl(for authority: String) -> PublishedCRL? { latest.withLock { $0[authority] } }

    /// The newest CRL of `authority`: from memory, else the one recorded in the store (a CA created
    /// by another process — `signet rotate` beside a running server — comes with its first CRL, so it
    /// is served from the moment it exists, before this process has loaded the CA).
    public func currentCRL(for authority: String) async throws -> PublishedCRL? {
        if let held = crl(for: authority) { return held }
        guard let recorded = try await issuer.repository.latestCRL(issuer: authority) else { return nil }
        adopt(recorded)
        return crl(for: authority)
    }

    /// Keeps `crl` in memory unless a higher-numbered one is already there.
    private func adopt(_ crl: PublishedCRL) {
        latest.withLock { crls in
            if let held = crls[crl.issuer], held.number >= crl.number { return }
            crls[crl.issuer] = crl
        }
    }

    /// The CA authorities whose CRLs this publisher keeps.
    private var crlIssuers: [LoadedAuthority] {
        ca.authorities.filter { $0.record.kind == Profile.Kind.rootCA.rawValue || $0.record.kind == Profile.Kind.issuingCA.rawValue }
    }

    /// Signs, records and stores a CRL for every CA authority that still holds its key.
    @discardableResult
    public func publishAll() async throws -> [PublishedCRL] {
        var published: [PublishedCRL] = []
        for authority in crlIssuers {
            let crl = try await issuer.issue(for: authority)
            try await issuer.repository.recordCRL(crl)
            try storer?.store(crl)
            adopt(crl)
            published.append(crl)
        }
        return published
    }

    /// Takes up the recorded CRLs of CA authorities this process holds none for (made by another
    /// process since it started) and hands them to the storer, so the CRL directory has them too.
    private func adoptRecordedCRLs() async throws {
        for authority in crlIssuers where crl(for: authority.name) == nil {
            guard let recorded = try await issuer.repository.latestCRL(issuer: authority.name) else { continue }
            try storer?.store(recorded)
            adopt(recorded)
        }
    }

    /// Call after a revocation made in this process: OCSP stops serving cached answers at once and
    /// the CRLs are republished. A failure is thrown for the caller to log and count; the CRLs stay
    /// marked for republishing, so the next ``tick()`` tries again.
    public func revocationHappened() async throws {
        state.withLock { $0.dirty = true }
        responder.noteRevision(try await issuer.repository.revocationRevision())
        try await tick()
    }

    /// One round of the publishing loop; the server calls it every few hundred milliseconds. Throws
    /// what kept it from finishing (the store or the HSM unavailable) so that the loop can log and
    /// count it; whatever was left undone is done by a later round.
    public func tick() async throws {
        let now = issuer.clock.now()
        let revision = try await issuer.repository.revocationRevision()
        responder.noteRevision(revision)
        try await adoptRecordedCRLs()
        let issuers = crlIssuers.map(\.name)
        let stale = latest.withLock { crls in
            crls.isEmpty || issuers.contains { crls[$0] == nil } || crls.values.contains { $0.needsRefresh(at: now) }
        }
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
            throw error
        }
    }
}
