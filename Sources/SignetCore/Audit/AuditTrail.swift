import Foundation

/// The tamper-evident audit trail's maintenance: the HSM-held audit key, signed checkpoints kept in
/// the database and anchored in the token, and verification of both.
public struct AuditTrail: Sendable {
    /// CKA_LABEL of audit keys. Verification accepts checkpoints only from token keys with this label.
    public static let auditKeyLabel = "signet/audit"

    public let ca: CertificateAuthority
    public let checkpoints: any AuditCheckpointRepository
    /// The token: audit key evidence and the anchor.
    public let anchors: any AuditAnchorWriter
    /// Serialises checkpointing with other processes on the same home; nil within one process only.
    public let lock: (any AuditCheckpointLock)?

    public init(ca: CertificateAuthority, checkpoints: any AuditCheckpointRepository, anchors: any AuditAnchorWriter, lock: (any AuditCheckpointLock)? = nil) {
        self.ca = ca
        self.checkpoints = checkpoints
        self.anchors = anchors
        self.lock = lock
    }

    /// The active audit key, generated in the HSM on first use (recorded pending first, as every key).
    ///
    /// Audit keys are never retired or destroyed: a checkpoint is only as good as the key in the token
    /// that verifies it, so a later audit key (none is rotated today) must leave the earlier one in place.
    public func auditKey(by principal: Principal) async throws -> (KeyRecord, any SigningKey) {
        let repository = ca.repository
        if let record = try await repository.keys().last(where: { $0.purpose == .audit && $0.state == .active }) {
            // The store names the active key; the token says whether it is an audit key at all, so a
            // rewritten keys table cannot point checkpointing at another key in the token.
            guard let evidence = try anchors.auditKey(id: record.reference.id) else {
                throw SignetError(.keyCustody, "The active audit key \(record.id) is not in the token; refusing to sign checkpoints (see `signet inventory`)")
            }
            if let reason = evidence.disqualification(loggedIn: anchors.seesPrivateObjects) {
                throw SignetError(.keyCustody, "Refusing to sign audit checkpoints with key \(record.id): \(reason)")
            }
            return (record, try ca.custodian.key(record.reference))
        }
        let now = ca.clock.now()
        let reference = KeyReference(id: CertificateAuthority.randomKeyID(), label: Self.auditKeyLabel)
        let pending = KeyRecord(id: reference.idHex, label: reference.label, algorithm: .ecP256, purpose: .audit, state: .pending, createdAt: now)
        try await repository.recordPendingKey(pending, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.keyGenerate, target: reference.idHex,
            details: ["label": reference.label, "algorithm": "ec-p256", "purpose": "audit"]))
        let key = try anchors.generateAuditKey(reference, algorithm: .ecP256)
        try await checkpoints.activateAuditKey(id: reference.idHex, publicKey: try key.publicKey.derBytes(), event: AuditEvent(
            time: now, principal: principal, action: AuditAction.keyActivate, target: reference.idHex, details: ["purpose": "audit"]))
        var active = pending
        active.state = .active
        return (active, key)
    }

    /// Signs a checkpoint over the newest entry, records it and anchors it in the token. Returns nil
    /// when the newest entry is already covered, unless `refresh`: then the newest entry is signed
    /// again with the current time (the server does this every interval, so the newest checkpoint's
    /// age says whether checkpointing is alive even when nothing is logged). Either way an anchor
    /// left behind by an interrupted checkpoint is caught up first.
    ///
    /// Refuses (throws) when the token's anchor and the database disagree, or when the entries after
    /// the newest checkpoint do not chain onto it: a new checkpoint must never vouch for a trail that
    /// was cut short or rewritten.
    @discardableResult
    public func checkpoint(by principal: Principal, refresh: Bool = false) async throws -> AuditCheckpoint? {
        guard let lock else { return try await checkpointExclusively(by: principal, refresh: refresh) }
        return try await lock.withLock { try await self.checkpointExclusively(by: principal, refresh: refresh) }
    }

    private func checkpointExclusively(by principal: Principal, refresh: Bool) async throws -> AuditCheckpoint? {
        let (record, key) = try await auditKey(by: principal)
        let newest = try await checkpoints.newestCheckpoint()
        let anchored = try await reconcileAnchor(with: newest)
        guard let tip = try await chainTip(after: newest) else { return nil }
        // With nothing new, only a refresh signs again; or a home whose checkpoints predate the
        // anchor, whose first chained checkpoint creates it.
        if let newest, tip.sequence == newest.sequence, !refresh, anchored { return nil }

        var time = ca.clock.now()
        if let newest, AuditChain.millis(time) <= newest.timeMillis {
            // Each checkpoint is later than the one before (the anchor rules compare times); a clock
            // that stepped back must not make a refresh look older than what it replaces.
            time = Date(timeIntervalSince1970: Double(newest.timeMillis + 1) / 1000)
        }
        let previous: Int64
        if let newest, tip.sequence == newest.sequence {
            // A refresh replaces the newest row, so it links to what that row linked to.
            if let linked = newest.previousSequence {
                previous = linked
            } else {
                previous = try await checkpoints.checkpoints().last(where: { $0.sequence < newest.sequence })?.sequence ?? 0
            }
        } else {
            previous = newest?.sequence ?? 0
        }
        var checkpoint = AuditCheckpoint(sequence: tip.sequence, entryHash: tip.hash, time: time, keyID: record.id, signature: [], previousSequence: previous)
        checkpoint.signature = try key.sign(message: checkpoint.signedBytes)

        // Two writes, in this order: the row commits first, then the token's anchor. A crash between
        // them leaves the anchor one checkpoint behind the rows, which verification accepts (the newest
        // row is signed and directly follows the anchor) and the next checkpoint repairs. The other
        // order would leave an anchor ahead of every row, which is exactly what deleting the newest
        // checkpoint rows looks like, so it could not be told apart from tampering.
        try await checkpoints.recordCheckpoint(checkpoint, replacingNewest: newest)
        Failpoints.hit(Failpoints.afterCheckpointRecorded)
        try writeAnchor(checkpoint)
        return checkpoint
    }

    /// Writes both copies of the anchor: the private (authoritative) one first, so the public one is
    /// never ahead of it.
    private func writeAnchor(_ checkpoint: AuditCheckpoint) throws {
        let value = try AuditAnchor.encode(checkpoint)
        try anchors.writeAnchor(value, copy: .private)
        Failpoints.hit(Failpoints.afterPrivateAnchorWritten)
        try anchors.writeAnchor(value, copy: .public)
    }

    /// Checks the token's anchor against the newest row before anything is signed, and catches up an
    /// anchor an interrupted checkpoint left one step behind (so interruptions never add up to two).
    /// Returns whether the token now holds an anchor.
    private func reconcileAnchor(with newest: AuditCheckpoint?) async throws -> Bool {
        func refusing(_ reason: String) -> SignetError {
            SignetError.conflict("Refusing to sign an audit checkpoint: \(reason); run `signet audit verify`")
        }
        let privateAnchor: AuditCheckpoint?
        let publicAnchor: AuditCheckpoint?
        do {
            privateAnchor = try AuditVerifier.newestAnchor(in: anchors, .private)
            publicAnchor = try AuditVerifier.newestAnchor(in: anchors, .public)
        } catch let error as SignetError where error.code == .malformedInput {
            throw refusing("the token's audit anchor does not parse (\(error.reason))")
        }
        // Whether `checkpoint` is the first chained one: no anchor is the state before it. Read only
        // when an anchor copy is missing, which is rare.
        func isFirstChained(_ checkpoint: AuditCheckpoint?) async throws -> Bool {
            guard let checkpoint, checkpoint.isChained else { return false }
            return try await checkpoints.checkpoints().first(where: \.isChained)?.sequence == checkpoint.sequence
        }
        let newestIsFirstChained = privateAnchor == nil ? try await isFirstChained(newest) : false
        switch AuditVerifier.agreement(anchor: privateAnchor, newest: newest, newestIsFirstChained: newestIsFirstChained) {
        case .disagrees:
            throw refusing(AuditVerifier.disagreement(anchor: privateAnchor, newest: newest))
        case .oneBehind:
            guard let newest else { return false }
            var check = AuditVerifier.SignatureCheck(token: anchors)
            if let problem = try check.problem(newest, "the checkpoint") { throw refusing(problem) }
            try writeAnchor(newest)
            return true
        case .same:
            break
        }
        guard let privateAnchor else {
            if let publicAnchor {
                throw refusing("the token has a public audit anchor (\(AuditVerifier.describe(publicAnchor))) but no private one")
            }
            return false
        }
        if let publicAnchor, publicAnchor.isSameStatement(as: privateAnchor) { return true }
        let publicAgreement = AuditVerifier.agreement(
            anchor: publicAnchor, newest: privateAnchor, newestIsFirstChained: publicAnchor == nil ? try await isFirstChained(privateAnchor) : false)
        guard publicAgreement != .disagrees else {
            throw refusing("the public copy of the token's audit anchor (\(AuditVerifier.describe(publicAnchor))) disagrees with the private copy (\(AuditVerifier.describe(privateAnchor)))")
        }
        try anchors.writeAnchor(try AuditAnchor.encode(privateAnchor), copy: .public)
        return true
    }

    /// The newest entry, after checking that every entry after the newest checkpoint chains onto the
    /// entry it covers (from the start of the trail when there is no checkpoint). Nil when the trail
    /// is empty.
    private func chainTip(after newest: AuditCheckpoint?) async throws -> AuditRecord? {
        func refusing(_ reason: String) -> SignetError {
            SignetError.conflict("Refusing to sign an audit checkpoint: \(reason); run `signet audit verify`")
        }
        var walker = AuditChain.Walker()
        var after: Int64 = 0
        var tip: AuditRecord?
        if let newest {
            guard newest.sequence >= 1, newest.sequence < Int64.max,
                  let base = try await checkpoints.auditRecords(after: newest.sequence - 1, limit: 1).first,
                  base.sequence == newest.sequence, base.hash == newest.entryHash else {
                throw refusing("entry \(newest.sequence) no longer matches the newest checkpoint (it was rewritten or removed)")
            }
            walker = AuditChain.Walker(previousHash: base.hash, nextSequence: base.sequence + 1)
            after = base.sequence
            tip = base
        }
        while true {
            let page = try await checkpoints.auditRecords(after: after, limit: 10_000)
            for record in page {
                if let reason = walker.check(record) { throw refusing("entry \(record.sequence): \(reason)") }
                tip = record
            }
            guard let last = page.last, page.count == 10_000 else { break }
            after = last.sequence
        }
        return tip
    }

    /// Checks the trail against the token this trail writes to (logged in); see ``AuditVerifier``.
    public func verify(freshness: AuditVerifier.Freshness? = nil) async throws -> AuditVerification {
        try await AuditVerifier(repository: checkpoints, token: anchors, clock: ca.clock, freshness: freshness).verify()
    }
}
