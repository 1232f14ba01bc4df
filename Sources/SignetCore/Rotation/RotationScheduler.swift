import Foundation

/// Replaces keys on the schedules their profiles set (`rotation.every`, `rotation.overlap`) and
/// retires what is no longer needed. One pass (`runDue`) is idempotent and safe to run from the
/// server's loop and from `signet rotate --due` (cron) alike.
///
/// For an authority whose profile rotates:
/// 1. `overlap` before its `rotateAt`, a successor is generated in the HSM, certified and recorded as
///    `next`: published (`/ca/<name>.crt`) but not yet signing.
/// 2. At `rotateAt`, the successor becomes `active` and the old authority `retiring`, in one
///    transaction: new issuance moves at once, and the old one keeps signing CRLs (and, through its own
///    OCSP signer, OCSP) for what it issued.
/// 3. A retiring CA is retired when the last certificate it signed has expired; a retiring OCSP
///    signer or TSA after `overlap`. Retiring destroys the key in the token; the record stays.
///
/// Every CA that still holds its key keeps an active OCSP signer. Per-release CI keys are destroyed
/// once their certificate has expired or been revoked. Each step is one transaction, so a crash leaves
/// the old or the new authority active, never neither; a key generated for a successor is recorded
/// before it exists and is abandoned (and destroyed) if the process dies before it is certified.
public struct RotationScheduler: Sendable {
    public let ca: CertificateAuthority

    public init(ca: CertificateAuthority) { self.ca = ca }

    var repository: any SignetRepository { ca.repository }
    var clock: any SignetClock { ca.clock }

    static let rotatingKinds: Set<String> = [Profile.Kind.issuingCA.rawValue, Profile.Kind.ocspSigner.rawValue, Profile.Kind.timestamping.rawValue]

    /// Performs every rotation and retirement that is due; returns what it did, for logs and the CLI.
    @discardableResult
    public func runDue(by principal: Principal) async throws -> [String] {
        try await ca.reloadIfChanged()
        var actions: [String] = []
        // Parents first, so a rotated CA's children are rotated under the right parent.
        for kind in [Profile.Kind.issuingCA, .timestamping, .ocspSigner] {
            for profile in ca.profiles.profiles(of: kind) where profile.rotation != nil {
                for current in ca.authorities where current.record.profile == profile.name && current.record.state == .active {
                    actions += try await advance(current, profile: profile, by: principal)
                }
            }
        }
        actions += try await ensureOCSPSigners(by: principal)
        actions += try await retire(by: principal)
        actions += try await retireReleaseKeys(by: principal)
        return actions
    }

    /// Forces a rotation now (`signet rotate --issuer NAME`): a successor is created and takes over at once.
    public func rotate(_ name: String, by principal: Principal) async throws -> String {
        try await ca.reloadIfChanged()
        let current = try ca.authority(named: name)
        guard current.record.state == .active else { throw SignetError.conflict("Authority \(name) is \(current.record.state.rawValue), not active") }
        guard Self.rotatingKinds.contains(current.record.kind) else {
            throw SignetError.refused("\(name) is a \(current.record.kind); a root is re-keyed by creating a new trust anchor, not rotated")
        }
        let profile = try ca.profiles.profile(named: current.record.profile)
        if let next = ca.authorities.first(where: { $0.record.profile == profile.name && $0.record.state == .next && $0.record.parent == parent(for: current, profile: profile)?.name }) {
            try await promote(next, superseding: current, by: principal)
            return "\(name) → \(next.name)"
        }
        let successor = try await ca.createAuthority(profile: profile, parent: parent(for: current, profile: profile), by: principal, superseding: name)
        _ = try await ensureOCSPSigners(by: principal)
        return "\(name) → \(successor.name)"
    }

    /// The parent a successor of `current` is certified by: the newest active authority of the
    /// profile's issuer, except that an OCSP signer stays with the CA it answers for.
    func parent(for current: LoadedAuthority, profile: Profile) -> LoadedAuthority? {
        if profile.kind == .ocspSigner, let parent = current.record.parent { return try? ca.authority(named: parent) }
        return try? ca.activeAuthority(profile: profile.issuer)
    }

    private func advance(_ current: LoadedAuthority, profile: Profile, by principal: Principal) async throws -> [String] {
        guard let rotation = profile.rotation, let rotateAt = current.record.rotateAt else { return [] }
        let now = clock.now()
        let parent = parent(for: current, profile: profile)
        let next = ca.authorities.first { $0.record.profile == profile.name && $0.record.state == .next && $0.record.parent == parent?.name }
        if now >= rotateAt {
            if let next {
                try await promote(next, superseding: current, by: principal)
                return ["rotated \(current.name) → \(next.name)"]
            }
            let successor = try await ca.createAuthority(profile: profile, parent: parent, by: principal, superseding: current.name)
            return ["rotated \(current.name) → \(successor.name)"]
        }
        if next == nil, rotation.overlap.seconds > 0, now >= rotateAt.addingTimeInterval(-rotation.overlap.timeInterval) {
            let successor = try await ca.createAuthority(profile: profile, parent: parent, by: principal, state: .next)
            return ["prepared \(successor.name) to take over from \(current.name) at \(rotateAt)"]
        }
        return []
    }

    private func promote(_ next: LoadedAuthority, superseding current: LoadedAuthority, by principal: Principal) async throws {
        let now = clock.now()
        try await repository.promoteAuthority(next.name, superseding: current.name, at: now, events: [
            AuditEvent(time: now, principal: principal, action: AuditAction.authorityRotate, target: current.name,
                       details: ["successor": next.name, "profile": next.record.profile]),
        ])
        try await ca.loadAuthorities()
    }

    /// Every CA that holds its key (active or retiring) answers OCSP through a delegated signer.
    private func ensureOCSPSigners(by principal: Principal) async throws -> [String] {
        try await ca.ensureOCSPSigners(by: principal).map { signer in
            "created \(signer) for \(ca.authorities.first { $0.name == signer }?.record.parent ?? "?")"
        }
    }

    private func retire(by principal: Principal) async throws -> [String] {
        let now = clock.now()
        var actions: [String] = []
        var retired = Set<String>()
        for authority in ca.authorities where authority.record.state == .retiring && !retired.contains(authority.name) {
            let profile = try? ca.profiles.profile(named: authority.record.profile)
            let overlap = profile?.rotation?.overlap.timeInterval ?? 0
            let since = authority.record.retiringSince ?? now
            let due: Bool
            if authority.record.kind == Profile.Kind.issuingCA.rawValue || authority.record.kind == Profile.Kind.rootCA.rawValue {
                // A CA answers for what it signed until the last of it expires (CRLs and OCSP keep working).
                let lastExpiry = try await repository.latestExpiry(issuer: authority.name) ?? since
                due = now > lastExpiry && now >= since.addingTimeInterval(overlap)
            } else {
                due = now >= since.addingTimeInterval(overlap)
            }
            guard due else { continue }
            // A retired CA's OCSP signers go with it.
            for child in ca.authorities where child.record.parent == authority.name && child.record.kind == Profile.Kind.ocspSigner.rawValue && !retired.contains(child.name) {
                try await retireOne(child, by: principal)
                retired.insert(child.name)
                actions.append("retired \(child.name)")
            }
            try await retireOne(authority, by: principal)
            retired.insert(authority.name)
            actions.append("retired \(authority.name)")
        }
        if !actions.isEmpty { try await ca.loadAuthorities() }
        return actions
    }

    private func retireOne(_ authority: LoadedAuthority, by principal: Principal) async throws {
        let now = clock.now()
        try await repository.retireAuthority(authority.name, at: now, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.authorityRetire, target: authority.name, details: ["key_id": authority.record.keyID]))
        try await destroyKey(id: authority.record.keyID, by: principal)
    }

    /// Destroys a key scheduled for destruction and records it; idempotent.
    func destroyKey(id: String, by principal: Principal) async throws {
        guard let key = try await repository.key(id: id), key.state == .retiring else { return }
        try ca.custodian.destroyKey(key.reference)
        try await repository.setKeyState(id: id, to: .destroyed, at: clock.now(), event: AuditEvent(
            time: clock.now(), principal: principal, action: AuditAction.keyDestroy, target: id, details: ["label": key.label]))
    }

    /// Release keys whose certificates have all expired or been revoked, and any key left scheduled
    /// for destruction by an interrupted run, are destroyed.
    private func retireReleaseKeys(by principal: Principal) async throws -> [String] {
        let now = clock.now()
        var actions: [String] = []
        for key in try await repository.keys() {
            if key.state == .retiring {
                try await destroyKey(id: key.id, by: principal)
                actions.append("destroyed key \(key.label)")
                continue
            }
            guard key.purpose == .release, key.state == .active else { continue }
            var query = CertificateQuery(limit: 1000)
            query.keyID = key.id
            let certificates = try await repository.certificates(query)
            let stillUsable = certificates.contains { $0.status == .valid && $0.notAfter > now }
            guard !stillUsable else { continue }
            try await repository.setKeyState(id: key.id, to: .retiring, at: now, event: AuditEvent(
                time: now, principal: principal, action: AuditAction.keyRetire, target: key.id,
                details: ["release": key.release ?? "", "team": key.team ?? "", "reason": "certificate expired or revoked"]))
            try await destroyKey(id: key.id, by: principal)
            actions.append("destroyed release key \(key.label)")
        }
        return actions
    }
}
