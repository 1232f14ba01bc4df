import Foundation
import SwiftASN1
import X509

/// The issuance pipeline and the authorities behind it. Issuing runs in Boulder's two steps:
/// *prepare* (validate the request against the profile, build the TBS, lint it) and *issue* (persist
/// serial and linted TBS, sign in the HSM, verify the signature, record the certificate, audit).
/// Nothing is returned before it is durably recorded, and nothing is signed before it is linted
/// and persisted, so a crash at any point loses nothing that was handed out.
public final class CertificateAuthority: Sendable {
    /// The profiles requests are checked against; replaced as a whole by ``replaceProfiles(_:)``
    /// (`signet serve` on SIGHUP), so a request sees either the old set or the new one.
    public var profiles: ProfileSet { profileSet.withLock { $0 } }
    private let profileSet: Locked<ProfileSet>
    public let custodian: any KeyCustodian
    public let repository: any SignetRepository
    public let clock: any SignetClock
    public let urls: AuthorityURLs
    /// nextUpdate - thisUpdate of the CRLs the CA's authorities sign; here for a new CA's first CRL,
    /// which is signed when the CA is made (``createAuthority(profile:parent:by:state:superseding:)``).
    public let crlValidity: ValidityDuration
    /// Where every signature this authority makes on behalf of a request is made: off the caller's
    /// thread, with a bounded wait (see ``SigningQueue``).
    public let signing: SigningQueue
    let serials = SerialNumberGenerator()
    let linter = CertificateLinter()
    private let loaded = Locked<[String: LoadedAuthority]>([:])
    /// The newest active authority per profile, kept beside `loaded` so the hot paths (issuance, TSA)
    /// find their signer with one dictionary lookup.
    private let activeByProfile = Locked<[String: LoadedAuthority]>([:])

    private func setLoaded(_ update: (inout [String: LoadedAuthority]) -> Void) {
        let snapshot = loaded.withLock { all -> [String: LoadedAuthority] in
            update(&all)
            return all
        }
        var newest: [String: LoadedAuthority] = [:]
        for authority in snapshot.values where authority.record.state == .active {
            if let current = newest[authority.record.profile], current.record.generation >= authority.record.generation { continue }
            newest[authority.record.profile] = authority
        }
        activeByProfile.withLock { $0 = newest }
    }

    /// Certificates are backdated by this much to tolerate relying parties' clock skew.
    public static let backdate: TimeInterval = 60

    public init(profiles: ProfileSet, custodian: any KeyCustodian, repository: any SignetRepository, clock: any SignetClock, urls: AuthorityURLs,
                crlValidity: ValidityDuration = .hours(24), signing: SigningQueue = SigningQueue()) {
        self.crlValidity = min(crlValidity, CRLIssuer.maximumValidity)
        self.signing = signing
        self.profileSet = Locked(profiles)
        self.custodian = custodian
        self.repository = repository
        self.clock = clock
        self.urls = urls
    }

    /// Puts a new profile set in place of the current one, for the requests that start after it.
    /// Refused, changing nothing, when an authority still in use (active or retiring) would lose its
    /// profile or see its kind change: such a set is for a new home, not for this one.
    public func replaceProfiles(_ replacement: ProfileSet) throws {
        for authority in authorities where authority.record.state != .retired {
            guard let profile = replacement.profiles[authority.record.profile] else {
                throw SignetError.configuration("profile \(authority.record.profile) is missing, but authority \(authority.name) uses it; keep the profile or retire the authority first")
            }
            guard profile.kind.rawValue == authority.record.kind else {
                throw SignetError.configuration("profile \(profile.name) is now of kind \(profile.kind.rawValue), but authority \(authority.name) is a \(authority.record.kind)")
            }
        }
        profileSet.withLock { $0 = replacement }
    }

    // MARK: Authorities

    private let loadedRevision = Locked<Int64>(-1)

    /// Reloads the authorities when another process (or the scheduler) changed them.
    public func reloadIfChanged() async throws {
        let revision = try await repository.authorityRevision()
        guard revision != loadedRevision.withLock({ $0 }) else { return }
        try await loadAuthorities()
    }

    /// Loads every active or retiring authority, finds its key, and refuses to continue unless each
    /// key matches its certificate and each certificate verifies under its parent (the start-up check
    /// of sigstore's TSA, `VerifyCertChain`).
    public func loadAuthorities() async throws {
        let revision = try await repository.authorityRevision()
        let records = try await repository.authorities().filter { $0.state != .retired }
        var result: [String: LoadedAuthority] = [:]
        for record in records {
            let certificate = try Certificate(derEncoded: record.certificateDER)
            guard let keyRecord = try await repository.key(id: record.keyID) else {
                throw SignetError(.keyCustody, "Authority \(record.name) names key \(record.keyID), which the store does not know")
            }
            let key = try custodian.key(keyRecord.reference)
            guard key.publicKey == certificate.publicKey else {
                throw SignetError(.keyCustody, "The key of authority \(record.name) in the token does not match its certificate; refusing to sign with it")
            }
            result[record.name] = LoadedAuthority(record: record, certificate: certificate, key: key)
        }
        for authority in result.values {
            let parentCertificate: Certificate
            if let parent = authority.record.parent {
                guard let loadedParent = result[parent] else {
                    // A retired parent's certificate is still in the store; verify against it.
                    guard let parentRecord = try await repository.authority(named: parent) else {
                        throw SignetError(.keyCustody, "Authority \(authority.name) names parent \(parent), which the store does not know")
                    }
                    parentCertificate = try Certificate(derEncoded: parentRecord.certificateDER)
                    try Self.verify(authority.certificate, issuedBy: parentCertificate, name: authority.name)
                    continue
                }
                parentCertificate = loadedParent.certificate
            } else {
                parentCertificate = authority.certificate
            }
            try Self.verify(authority.certificate, issuedBy: parentCertificate, name: authority.name)
        }
        setLoaded { $0 = result }
        loadedRevision.withLock { $0 = revision }
    }

    static func verify(_ certificate: Certificate, issuedBy issuer: Certificate, name: String) throws {
        guard issuer.publicKey.isValidSignature(certificate.signature, for: certificate), certificate.issuer == issuer.subject else {
            throw SignetError(.keyCustody, "The certificate of authority \(name) does not verify under its issuer; refusing to start")
        }
    }

    /// Every loaded (active or retiring) authority.
    public var authorities: [LoadedAuthority] { loaded.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

    public func authority(named name: String) throws -> LoadedAuthority {
        guard let authority = loaded.withLock({ $0[name] }) else {
            throw SignetError.notFound("No active authority named '\(name)'; known: \(authorities.map(\.name).joined(separator: ", "))")
        }
        return authority
    }

    /// The active authority made under `profile` (the newest, if several are active during an overlap).
    public func activeAuthority(profile: String, parent: String? = nil) throws -> LoadedAuthority {
        if parent == nil, let newest = activeByProfile.withLock({ $0[profile] }) { return newest }
        let candidates = authorities.filter { $0.record.profile == profile && $0.record.state == .active && (parent == nil || $0.record.parent == parent) }
        guard let newest = candidates.max(by: { $0.record.generation < $1.record.generation }) else {
            throw SignetError.notFound("No active authority for profile '\(profile)'; run `signet init`")
        }
        return newest
    }

    /// `authority`'s certificate and its parents up to the root.
    public func chain(from authority: LoadedAuthority) async throws -> [Certificate] {
        var chain = [authority.certificate]
        var parent = authority.record.parent
        while let name = parent {
            if let next = loaded.withLock({ $0[name] }) {
                chain.append(next.certificate)
                parent = next.record.parent
            } else if let record = try await repository.authority(named: name) {
                chain.append(try Certificate(derEncoded: record.certificateDER))
                parent = record.parent
            } else {
                break
            }
        }
        return chain
    }

    /// Creates whatever part of the hierarchy is missing: root, issuing CA, TSA, and an OCSP signer
    /// for every CA that holds its key. Returns the names of the authorities created; empty when
    /// everything already existed.
    ///
    /// "Missing" means what the rotation scheduler means by it, so that `signet init` on a home the
    /// scheduler has rotated creates nothing: a root, issuing CA or TSA profile is satisfied by any
    /// active authority of the profile, whichever parent certified it (after an issuing CA rotates,
    /// the TSA certified by its predecessor stays active until its own rotation), and OCSP signers are
    /// ensured per CA exactly as the scheduler does.
    public func bootstrap(by principal: Principal) async throws -> [String] {
        try await reconcilePendingKeys(by: principal)
        try await loadAuthorities()
        var created: [String] = []
        for kind in [Profile.Kind.rootCA, .issuingCA, .timestamping] {
            for profile in profiles.profiles(of: kind) {
                let exists = authorities.contains { $0.record.profile == profile.name && $0.record.state == .active }
                if !exists {
                    let parent: LoadedAuthority? = profile.isSelfSigned ? nil : try activeAuthority(profile: profile.issuer)
                    created.append(try await createAuthority(profile: profile, parent: parent, by: principal).name)
                }
            }
        }
        created += try await ensureOCSPSigners(by: principal)
        if !created.isEmpty {
            try await repository.append(AuditEvent(time: clock.now(), principal: principal, action: AuditAction.caInit, target: nil, details: ["created": created.joined(separator: ",")]))
        }
        return created
    }

    /// Every CA that holds its key (active or retiring) answers OCSP through a delegated signer of
    /// its own (RFC 6960 §4.2.2.2); creates the ones missing and returns their names.
    public func ensureOCSPSigners(by principal: Principal) async throws -> [String] {
        var created: [String] = []
        for profile in profiles.profiles(of: .ocspSigner) {
            for issuer in authorities where issuer.record.profile == profile.issuer && (issuer.record.state == .active || issuer.record.state == .retiring) {
                let hasSigner = authorities.contains { $0.record.profile == profile.name && $0.record.parent == issuer.name && $0.record.state == .active }
                if !hasSigner {
                    created.append(try await createAuthority(profile: profile, parent: issuer, by: principal).name)
                }
            }
        }
        return created
    }

    /// Keys recorded `pending` never finished generation (the process stopped between recording and
    /// certifying them). Nothing they signed was ever handed out, so they are destroyed and marked
    /// abandoned: the token never holds a key the store does not account for.
    public func reconcilePendingKeys(by principal: Principal) async throws {
        for key in try await repository.keys() where key.state == .pending {
            try custodian.destroyKey(key.reference)
            try await repository.setKeyState(id: key.id, to: .abandoned, at: clock.now(), event: AuditEvent(
                time: clock.now(), principal: principal, action: AuditAction.keyAbandon, target: key.id,
                details: ["label": key.label, "reason": "generation did not complete"]))
        }
    }

    /// Generates a key in the token and certifies it under `profile`, signed by `parent` (or itself).
    /// `state` is `.active` (signs at once; `superseding` then becomes retiring in the same
    /// transaction) or `.next` (published ahead of a scheduled rotation). A child never outlives its
    /// parent: the validity is cut at the parent's notAfter.
    @discardableResult
    public func createAuthority(
        profile: Profile, parent: LoadedAuthority?, by principal: Principal, state: AuthorityState = .active, superseding: String? = nil
    ) async throws -> LoadedAuthority {
        let generation = (try await repository.authorities().filter { $0.profile == profile.name }.map(\.generation).max() ?? 0) + 1
        let name = "\(profile.name)-\(generation)"
        let now = clock.now()
        let reference = KeyReference(id: Self.randomKeyID(), label: "signet/\(name)")
        let algorithm = profile.generatedKeyAlgorithm
        let keyRecord = KeyRecord(id: reference.idHex, label: reference.label, algorithm: algorithm, purpose: profile.kind.keyPurpose, state: .pending, createdAt: now)
        try await repository.recordPendingKey(keyRecord, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.keyGenerate, target: reference.idHex,
            details: ["label": reference.label, "algorithm": algorithm.rawValue, "purpose": keyRecord.purpose.rawValue]))
        do {
            let key = try custodian.generateKey(reference, algorithm: algorithm)
            Failpoints.hit(Failpoints.afterKeyGeneration)
            let subject = try profile.subject.render(.init(generation: generation, profile: profile.name))
            let signer = parent?.key ?? key
            let notBefore = now.addingTimeInterval(-Self.backdate)
            var notAfter = notBefore.addingTimeInterval(profile.defaultValidity.timeInterval)
            if let parent, parent.certificate.notValidAfter < notAfter { notAfter = parent.certificate.notValidAfter }
            let (der, record) = try await signCertificate(
                profile: profile, subject: subject, subjectKey: key.publicKey, notBefore: notBefore,
                notAfter: notAfter, issuer: parent, signer: signer,
                team: nil, release: nil, requester: principal.name, keyID: reference.idHex, admission: .always,
                selfIssuedBy: parent == nil ? name : nil)
            let certificate = try Certificate(derEncoded: der)
            Failpoints.hit(Failpoints.afterCertificateSigned)
            let rotateAt = profile.rotation.map { now.addingTimeInterval($0.every.timeInterval) }
            let authority = AuthorityRecord(
                name: name, profile: profile.name, kind: profile.kind.rawValue, generation: generation, keyID: reference.idHex,
                parent: parent?.name, certificateSerial: record.serial, certificateDER: der, state: state,
                createdAt: now, notAfter: certificate.notValidAfter, rotateAt: rotateAt)
            let loadedAuthority = LoadedAuthority(record: authority, certificate: certificate, key: key)
            var events: [AuditEvent] = []
            // A CA's first CRL is signed now and recorded with the CA: no process ever sees the CA
            // without a CRL to serve at its CDP (a certificate it issues in its first second must
            // pass CRL-only validation).
            var firstCRL: PublishedCRL? = nil
            if profile.kind.isCA {
                let crl = try CRLIssuer.sign(for: loadedAuthority, number: 1, entries: [], at: now, validity: crlValidity)
                firstCRL = crl
                events.append(AuditEvent(time: now, actor: "signet", role: nil, action: AuditAction.crlPublish, target: name,
                                         details: ["entries": "0", "number": "\(crl.number)"]))
            }
            if let superseding {
                events.append(AuditEvent(time: now, principal: principal, action: AuditAction.authorityRotate, target: superseding,
                                         details: ["successor": name, "profile": profile.name]))
            }
            try await repository.completeAuthority(authority, der: der, superseding: superseding, firstCRL: firstCRL, events: events + [
                AuditEvent(time: now, principal: principal, action: AuditAction.certificateIssue, target: record.serial,
                           details: ["profile": profile.name, "issuer": parent?.name ?? name, "key_id": reference.idHex, "subject": record.subject]),
                AuditEvent(time: now, principal: principal, action: AuditAction.authorityCreate, target: name,
                           details: ["profile": profile.name, "parent": parent?.name ?? "self", "key_id": reference.idHex, "serial": record.serial]),
            ])
            setLoaded { $0[name] = loadedAuthority }
            if superseding != nil { try await loadAuthorities() }
            return loadedAuthority
        } catch {
            // Nothing was handed out: remove whatever the token holds under this id and close the record.
            try? custodian.destroyKey(reference)
            try? await repository.setKeyState(id: reference.idHex, to: .abandoned, at: clock.now(), event: AuditEvent(
                time: clock.now(), principal: principal, action: AuditAction.keyAbandon, target: reference.idHex, outcome: .failed,
                details: ["label": reference.label, "reason": "\(error)"]))
            throw error
        }
    }

    static func randomKeyID() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    // MARK: Issuance

    /// Issues a certificate for a CSR under a `csr` profile.
    public func issue(_ request: IssuanceRequest, by principal: Principal) async throws -> IssuedCertificate {
        do {
            return try await issueUnaudited(request, by: principal)
        } catch let error as SignetError where [.policyRefused, .forbidden, .badSignature, .malformedInput, .notFound].contains(error.code) || error.code.kind == .forbidden {
            try? await repository.append(AuditEvent(
                time: clock.now(), principal: principal, action: AuditAction.certificateRefuse, target: nil, outcome: .refused,
                details: ["profile": request.profile, "team": request.team ?? "", "reason": error.reason]))
            throw error
        }
    }

    private func issueUnaudited(_ request: IssuanceRequest, by principal: Principal) async throws -> IssuedCertificate {
        let profile = try profiles.profile(named: request.profile)
        guard profile.kind == .codeSigning, profile.keySource == .csr else {
            throw SignetError.refused("Profile '\(profile.name)' does not issue certificates for CSRs (it is a \(profile.kind.rawValue) profile with keys from \(profile.keySource.rawValue))")
        }
        if let team = request.team { try NameRules.validateTeam(team) }
        if let release = request.release { try NameRules.validateRelease(release) }
        try AccessPolicy.checkIssue(principal, profile: profile, team: request.team)
        let csr = try CSRInput.parse(request.csr)
        guard let algorithm = KeyAlgorithm(publicKey: csr.publicKey) else {
            throw SignetError.refused("The CSR's key is \(KeyAlgorithm.describeUnknown(csr.publicKey)); profile '\(profile.name)' allows \(profile.keyAlgorithms.map(\.rawValue).joined(separator: ", "))")
        }
        guard profile.keyAlgorithms.contains(algorithm) else {
            throw SignetError.refused("The CSR's key is \(algorithm); profile '\(profile.name)' allows \(profile.keyAlgorithms.map(\.rawValue).joined(separator: ", "))")
        }
        if let release = request.release { try AccessPolicy.checkRelease(principal, release: release) }
        let maximum = AccessPolicy.maximumValidity(principal, profile: profile)
        let validity = request.validity ?? min(profile.defaultValidity, maximum)
        guard validity <= maximum else {
            if maximum < profile.maxValidity {
                throw SignetError.refused("Requested validity \(validity) exceeds the maximum \(maximum) the CI identity rule grants \(principal.name) under profile '\(profile.name)'")
            }
            throw SignetError.refused("Requested validity \(validity) exceeds profile '\(profile.name)' maximum \(profile.maxValidity)")
        }
        let issuer = try activeAuthority(profile: profile.issuer)
        let now = clock.now()
        let notBefore = now.addingTimeInterval(-Self.backdate)
        let notAfter = notBefore.addingTimeInterval(validity.timeInterval)
        guard notAfter <= issuer.certificate.notValidAfter else {
            throw SignetError.refused("Issuer \(issuer.name) expires at \(issuer.certificate.notValidAfter), before the requested validity ends; request a shorter validity or rotate the issuer")
        }
        // The CSR's subject counts only where the profile asks for it ({subject_name}); the rest of the
        // subject comes from the authenticated identity.
        let subjectName = profile.subject.usedPlaceholders.contains("subject_name") ? try CSRInput.subjectName(of: csr) : nil
        let subject = try profile.subject.render(.init(
            team: request.team, requester: principal.name, release: request.release, profile: profile.name, subjectName: subjectName))
        let (der, pendingRecord) = try await signCertificate(
            profile: profile, subject: subject, subjectKey: csr.publicKey, notBefore: notBefore, notAfter: notAfter,
            issuer: issuer, signer: issuer.key, team: request.team, release: request.release, requester: principal.name, keyID: nil,
            admission: .bounded, identity: principal.workload?.identity)
        let record = try await repository.complete(serial: pendingRecord.serial, der: der, event: AuditEvent(
            time: clock.now(), principal: principal, action: AuditAction.certificateIssue, target: pendingRecord.serial,
            details: ["profile": profile.name, "issuer": issuer.name, "issuer_key_id": issuer.record.keyID, "team": request.team ?? "",
                      "release": request.release ?? "", "subject": pendingRecord.subject, "key": algorithm.rawValue]))
        return IssuedCertificate(record: record, der: der, chain: try await chain(from: issuer))
    }

    /// Build → lint → persist serial and TBS → sign → verify. Returns the signed certificate's DER and
    /// the pending record; the caller completes the record (alone, or with an authority) and audits.
    ///
    /// With `admission` ``SigningQueue/Admission/bounded`` (a request), a full signing queue refuses
    /// with `hsm_busy` before the serial is reserved, so a refusal leaves no pending record; once
    /// reserved, the signature is queued whatever the queue's length.
    func signCertificate(
        profile: Profile, subject: DistinguishedName, subjectKey: Certificate.PublicKey, notBefore: Date, notAfter: Date,
        issuer: LoadedAuthority?, signer: any SigningKey, team: String?, release: String?, requester: String, keyID: String?,
        admission: SigningQueue.Admission, identity: WorkloadIdentity? = nil, selfIssuedBy: String? = nil
    ) async throws -> (der: [UInt8], record: CertificateRecord) {
        if admission == .bounded { try signing.checkCapacity() }
        for attempt in 1...3 {
            let serial = serials.next()
            let blueprint = CertificateBlueprint(
                profile: profile, serial: serial, subject: subject, subjectKey: subjectKey, notBefore: notBefore, notAfter: notAfter,
                issuerCertificate: issuer?.certificate, issuerName: issuer?.name ?? "", signatureAlgorithm: signer.signatureAlgorithm, urls: urls,
                identity: identity)
            let unsigned = try CertificateBuilder.unsigned(blueprint)
            let findings = linter.lint(unsigned, profile: profile, issuer: issuer?.certificate, identity: identity)
            guard findings.isEmpty else {
                throw SignetError(.lintFailed, "Refusing to sign: the certificate built from profile '\(profile.name)' fails lint: \(findings.map(\.description).joined(separator: "; "))")
            }
            let tbs = Array(unsigned.tbsCertificateBytes)
            let record = CertificateRecord(
                // A self-signed root is its own issuer: its record names itself, never an empty issuer.
                serial: serial.hex, issuer: issuer?.name ?? selfIssuedBy ?? "", profile: profile.name, subject: subject.description, team: team,
                release: release, requester: requester, keyID: keyID, notBefore: unsigned.notValidBefore, notAfter: unsigned.notValidAfter,
                status: .pending, der: nil, createdAt: clock.now(), repository: identity?.repository)
            do {
                try await repository.reserve(PendingCertificate(record: record, tbs: tbs))
            } catch let error as SignetError where error.code == .conflict && attempt < 3 {
                continue  // a 158-bit serial collided; draw another
            }
            let signature = try await signing.run(.always) { try signer.sign(message: tbs) }
            // Verify before release: catches a faulty token or a key that does not match its certificate.
            // The signature is checked over the very TBS octets that go into the certificate.
            guard signer.publicKey.isValidSignature(signature, for: tbs, signatureAlgorithm: signer.signatureAlgorithm) else {
                throw SignetError(.keyCustody, "The HSM returned a signature that does not verify with \(signer.reference)'s public key; certificate \(serial.hex) was not issued")
            }
            return (try CertificateBuilder.assemble(tbs: tbs, signatureAlgorithm: signer.signatureAlgorithm, signature: signature), record)
        }
        throw SignetError.internalError("Could not reserve a unique serial after 3 attempts")
    }

    // MARK: Revocation

    /// Revokes a certificate. Only admins may; revoking twice is a conflict.
    public func revoke(serial: String, reason: RevocationReason, by principal: Principal) async throws -> CertificateRecord {
        try await Revocation.revoke(serial: serial, reason: reason, by: principal, repository: repository, clock: clock)
    }
}

extension Certificate {
    /// The certificate's DER encoding.
    public var derBytes: [UInt8] {
        var serializer = DER.Serializer()
        try! serializer.serialize(self)
        return serializer.serializedBytes
    }
}
