import Foundation
import X509

/// A release's key in the HSM and its certificate.
public struct ReleaseKey: Sendable {
    public let key: KeyRecord
    public let certificate: CertificateRecord
    public let certificateValue: Certificate
    public let chain: [Certificate]
}

/// A signature made in the HSM for a caller who never holds the key.
public struct RemoteSignature: Sendable {
    public let keyID: String
    public let signature: [UInt8]
    public let signatureAlgorithm: Certificate.SignatureAlgorithm
    public let certificateSerial: String
}

/// Per-release keys for CI and signing through Signet. A release gets a fresh non-extractable key
/// in the HSM and a certificate under `ci-release`; asking again returns the same key (unless
/// `rotate`), so a pipeline can call it idempotently. Signing takes a digest the caller computed and
/// returns the HSM's signature, after checking that the key belongs to the caller's team and that
/// its certificate is neither revoked nor expired. Every signature is audited (key, digest, requester).
public actor ReleaseSigning {
    public let ca: CertificateAuthority
    public let profileName: String
    private var inFlight: [String: Task<(ReleaseKey, Bool), any Error>] = [:]

    public init(ca: CertificateAuthority, profile: String = "ci-release") {
        self.ca = ca
        self.profileName = profile
    }

    nonisolated var repository: any SignetRepository { ca.repository }
    nonisolated var clock: any SignetClock { ca.clock }

    /// The release's current key, created if there is none usable (or `rotate` is set). Returns the
    /// key and whether it was created by this call. Concurrent calls for one release share one creation.
    public func key(release: String, by principal: Principal, rotate: Bool = false) async throws -> (ReleaseKey, Bool) {
        try NameRules.validateRelease(release)
        let profile = try ca.profiles.profile(named: profileName)
        do {
            try AccessPolicy.checkIssue(principal, profile: profile, team: principal.team)
            try AccessPolicy.checkRelease(principal, release: release)
        } catch let error as SignetError {
            try? await repository.append(AuditEvent(
                time: clock.now(), principal: principal, action: AuditAction.releaseKeyRefuse, target: release, outcome: .refused,
                details: ["team": principal.team ?? "", "code": error.code.name, "reason": error.reason]))
            throw error
        }
        guard let team = principal.team else {
            throw SignetError.refused("Release keys belong to a team; \(principal.name) has none")
        }
        let slot = "\(team)/\(release)"
        if let running = inFlight[slot] { return (try await running.value.0, false) }
        let task = Task { try await self.findOrCreate(release: release, team: team, profile: profile, by: principal, rotate: rotate) }
        inFlight[slot] = task
        defer { inFlight[slot] = nil }
        return try await task.value
    }

    private func findOrCreate(release: String, team: String, profile: Profile, by principal: Principal, rotate: Bool) async throws -> (ReleaseKey, Bool) {
        if !rotate, let existing = try await usableKey(release: release, team: team) { return (existing, false) }
        // A rotation replaces every live key of the release: they stop signing in the transaction that
        // activates the new one, not when the scheduler next passes.
        let previous = rotate ? try await repository.keys().filter { $0.purpose == .release && $0.team == team && $0.release == release && $0.state == .active } : []
        let created = try await create(release: release, team: team, profile: profile, superseding: previous, by: principal)
        for key in previous {
            // Best effort: a key left `retiring` can no longer sign, and the scheduler destroys it.
            try? await destroyRetiringKey(key, by: principal)
        }
        return (created, true)
    }

    /// Destroys a superseded release key in the token and records it.
    private func destroyRetiringKey(_ key: KeyRecord, by principal: Principal) async throws {
        try ca.custodian.destroyKey(key.reference)
        try await repository.setKeyState(id: key.id, to: .destroyed, at: clock.now(), event: AuditEvent(
            time: clock.now(), principal: principal, action: AuditAction.keyDestroy, target: key.id,
            details: ["label": key.label, "reason": "superseded by a rotated release key"]))
    }

    /// The newest active key of the release whose certificate is valid now.
    private func usableKey(release: String, team: String) async throws -> ReleaseKey? {
        let now = clock.now()
        let keys = try await repository.keys().filter { $0.purpose == .release && $0.team == team && $0.release == release && $0.state == .active }
        for key in keys.sorted(by: { $0.createdAt > $1.createdAt }) {
            if let usable = try await usable(key, at: now) { return usable }
        }
        return nil
    }

    /// `key` with its newest certificate, if that certificate is valid (not revoked) and unexpired at `now`.
    private nonisolated func usable(_ key: KeyRecord, at now: Date) async throws -> ReleaseKey? {
        var query = CertificateQuery(limit: 100)
        query.keyID = key.id
        guard let listed = try await repository.certificates(query).filter({ $0.status == .valid && $0.notAfter > now }).max(by: { $0.notAfter < $1.notAfter }),
              let record = try await repository.certificate(serial: listed.serial), let der = record.der else { return nil }
        let certificate = try Certificate(derEncoded: der)
        let issuer = try ca.authority(named: record.issuer)
        return ReleaseKey(key: key, certificate: record, certificateValue: certificate, chain: try await ca.chain(from: issuer))
    }

    /// The release keys `principal` may sign with now: active, with a valid unexpired certificate, of the
    /// caller's team (a `ci` token), or of `team` or every team for an admin. What a signing tool is shown
    /// (the PKCS#11 module lists these); the same checks as ``sign(keyID:digest:algorithm:by:)`` decide.
    public nonisolated func usableKeys(by principal: Principal, team requestedTeam: String? = nil, release: String? = nil) async throws -> [ReleaseKey] {
        let team: String?
        switch principal.role {
        case .ci:
            guard let own = principal.team else { throw SignetError.refused("Release keys belong to a team; \(principal.name) has none") }
            if let requestedTeam, requestedTeam != own {
                throw SignetError.forbidden("\(principal.name) may only list release keys of team \(own)")
            }
            team = own
        case .admin:
            team = requestedTeam ?? principal.team
        case .developer, .auditor:
            throw SignetError.forbidden("Only CI (and admins) may list release keys; \(principal.name) is \(principal.role)")
        }
        if let team { try NameRules.validateTeam(team) }
        if let release { try NameRules.validateRelease(release) }
        let now = clock.now()
        let keys = try await repository.keys().filter {
            $0.purpose == .release && $0.state == .active && (team == nil || $0.team == team) && (release == nil || $0.release == release)
        }
        var usable: [ReleaseKey] = []
        for key in keys.sorted(by: { ($0.team ?? "", $0.release ?? "", $0.createdAt) < ($1.team ?? "", $1.release ?? "", $1.createdAt) }) {
            if let found = try await self.usable(key, at: now) { usable.append(found) }
        }
        return usable
    }

    private func create(release: String, team: String, profile: Profile, superseding previous: [KeyRecord], by principal: Principal) async throws -> ReleaseKey {
        // Refused before a key is generated when the HSM is saturated; once generated, its certificate is signed whatever the load.
        try ca.signing.checkCapacity()
        let now = clock.now()
        let issuer = try ca.activeAuthority(profile: profile.issuer)
        let reference = KeyReference(id: CertificateAuthority.randomKeyID(), label: "signet/release/\(team)/\(release)")
        let algorithm = profile.generatedKeyAlgorithm
        let pending = KeyRecord(id: reference.idHex, label: reference.label, algorithm: algorithm, purpose: .release, state: .pending,
                                createdAt: now, team: team, release: release)
        let generated = AuditEvent(
            time: now, principal: principal, action: AuditAction.keyGenerate, target: reference.idHex,
            details: ["label": reference.label, "algorithm": algorithm.rawValue, "purpose": "release", "team": team, "release": release])
        if let limit = profile.maxLiveKeysPerTeam {
            // A rotation frees the keys it replaces, so it may use their places.
            try await repository.recordPendingKey(pending, maxLivePerTeam: limit + previous.count, event: generated)
        } else {
            try await repository.recordPendingKey(pending, event: generated)
        }
        do {
            let key = try ca.custodian.generateKey(reference, algorithm: algorithm)
            let subject = try profile.subject.render(.init(team: team, requester: principal.name, release: release, profile: profile.name))
            let notBefore = now.addingTimeInterval(-CertificateAuthority.backdate)
            let validity = min(profile.defaultValidity, AccessPolicy.maximumValidity(principal, profile: profile))
            let notAfter = min(notBefore.addingTimeInterval(validity.timeInterval), issuer.certificate.notValidAfter)
            let (der, record) = try await ca.signCertificate(
                profile: profile, subject: subject, subjectKey: key.publicKey, notBefore: notBefore, notAfter: notAfter, issuer: issuer,
                signer: issuer.key, team: team, release: release, requester: principal.name, keyID: reference.idHex, admission: .always,
                identity: principal.workload?.identity)
            let retired = previous.map { old in
                AuditEvent(time: now, principal: principal, action: AuditAction.keyRetire, target: old.id,
                           details: ["release": release, "team": team, "reason": "superseded by rotation", "successor": reference.idHex])
            }
            let completed = try await repository.completeKeyCertificate(serial: record.serial, der: der, keyID: reference.idHex,
                                                                        superseding: previous.map(\.id), events: retired + [
                AuditEvent(time: now, principal: principal, action: AuditAction.certificateIssue, target: record.serial,
                           details: ["profile": profile.name, "issuer": issuer.name, "key_id": reference.idHex, "team": team, "release": release, "subject": record.subject]),
                AuditEvent(time: now, principal: principal, action: AuditAction.releaseKeyCreate, target: reference.idHex,
                           details: ["team": team, "release": release, "serial": record.serial]),
            ])
            var active = pending
            active.state = .active
            return ReleaseKey(key: active, certificate: completed, certificateValue: try Certificate(derEncoded: der), chain: try await ca.chain(from: issuer))
        } catch {
            try? ca.custodian.destroyKey(reference)
            try? await repository.setKeyState(id: reference.idHex, to: .abandoned, at: clock.now(), event: AuditEvent(
                time: clock.now(), principal: principal, action: AuditAction.keyAbandon, target: reference.idHex, outcome: .failed,
                details: ["label": reference.label, "reason": "\(error)"]))
            throw error
        }
    }

    /// Signs `digest` (computed by the caller with `algorithm`) with release key `keyID`.
    public nonisolated func sign(keyID: String, digest: [UInt8], algorithm: DigestAlgorithm, by principal: Principal) async throws -> RemoteSignature {
        guard principal.role == .ci || principal.role == .admin else {
            throw SignetError.forbidden("Only CI (and admins) may sign with release keys; \(principal.name) is \(principal.role)")
        }
        guard let key = try await repository.key(id: keyID.lowercased()), key.purpose == .release else {
            throw SignetError.notFound("No release key with id \(keyID)")
        }
        do {
            if principal.role != .admin && key.team != principal.team {
                throw SignetError.forbidden("Key \(key.id) belongs to team \(key.team ?? "(none)"), not \(principal.team ?? "(none)")")
            }
            try AccessPolicy.checkRelease(principal, release: key.release ?? "")
        } catch let error as SignetError {
            try? await repository.append(AuditEvent(
                time: clock.now(), principal: principal, action: AuditAction.signatureRefuse, target: key.id, outcome: .refused,
                details: ["team": key.team ?? "", "release": key.release ?? "", "code": error.code.name, "reason": error.reason]))
            throw error
        }
        guard key.state == .active else {
            throw SignetError.conflict("Key \(key.id) is \(key.state.rawValue == "retiring" ? "being destroyed" : key.state.rawValue) and can no longer sign")
        }
        guard digest.count == algorithm.outputLength else {
            throw SignetError.malformed("Expected a \(algorithm.outputLength)-octet \(algorithm.rawValue) digest, got \(digest.count) octets")
        }
        let now = clock.now()
        var query = CertificateQuery(limit: 100)
        query.keyID = key.id
        let certificates = try await repository.certificates(query).filter { $0.status != .pending }
        guard let newest = certificates.max(by: { $0.notAfter < $1.notAfter }) else {
            throw SignetError.conflict("Key \(key.id) has no certificate")
        }
        if newest.status == .revoked {
            throw SignetError.conflict("The certificate of key \(key.id) was revoked (\(newest.revocationReason?.name ?? "unspecified")) at \(newest.revokedAt.map { "\($0)" } ?? "?"); the key can no longer sign")
        }
        guard newest.notAfter > now else {
            throw SignetError.refused("The certificate of key \(key.id) expired at \(newest.notAfter); ask for a new release key")
        }
        let signingKey = try ca.custodian.key(key.reference)
        let signature = try await ca.signing.run { try signingKey.signDigest(digest, algorithm: algorithm) }
        try await repository.append(AuditEvent(
            time: now, principal: principal, action: AuditAction.remoteSign, target: key.id,
            details: ["digest": digest.hexString, "algorithm": algorithm.rawValue, "team": key.team ?? "", "release": key.release ?? "",
                      "certificate": newest.serial]))
        let signatureAlgorithm: Certificate.SignatureAlgorithm
        switch (signingKey.algorithm.isEC, algorithm) {
        case (true, .sha256): signatureAlgorithm = .ecdsaWithSHA256
        case (true, .sha384): signatureAlgorithm = .ecdsaWithSHA384
        case (true, .sha512): signatureAlgorithm = .ecdsaWithSHA512
        case (false, .sha256): signatureAlgorithm = .sha256WithRSAEncryption
        case (false, .sha384): signatureAlgorithm = .sha384WithRSAEncryption
        case (false, .sha512): signatureAlgorithm = .sha512WithRSAEncryption
        }
        return RemoteSignature(keyID: key.id, signature: signature, signatureAlgorithm: signatureAlgorithm, certificateSerial: newest.serial)
    }
}
