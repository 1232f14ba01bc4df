import Foundation
import X509

/// Checks the audit trail against what the database cannot forge: every entry's hash and link, every
/// checkpoint's entry, link and signature by an audit key the *token* holds, the anchor the token
/// keeps of the newest checkpoint, and, while the server runs, that checkpoints are fresh.
///
/// Works with the PIN (a logged-in reader sees the private anchor copy and the keys' private halves)
/// and without (public objects only); ``AuditVerification/notChecked`` says what was left out.
public struct AuditVerifier: Sendable {
    /// How old the newest checkpoint may be, and whether that applies now.
    public struct Freshness: Sendable {
        public var maxAge: ValidityDuration
        /// A `signet serve` holds the home's server lock: it checkpoints every interval, so an old
        /// checkpoint means it stopped doing so or the checkpoints were rolled back.
        public var serverRunning: Bool

        public init(maxAge: ValidityDuration, serverRunning: Bool) {
            self.maxAge = maxAge
            self.serverRunning = serverRunning
        }
    }

    public let repository: any AuditCheckpointRepository
    /// The token; nil when it cannot be reached, with `tokenUnavailable` saying why.
    public let token: (any AuditAnchorReader)?
    public let tokenUnavailable: String
    public let clock: any SignetClock
    public let freshness: Freshness?

    public init(repository: any AuditCheckpointRepository, token: (any AuditAnchorReader)?, tokenUnavailable: String = "the token was not opened",
                clock: any SignetClock, freshness: Freshness? = nil) {
        self.repository = repository
        self.token = token
        self.tokenUnavailable = tokenUnavailable
        self.clock = clock
        self.freshness = freshness
    }

    public func verify() async throws -> AuditVerification {
        var attempt = 1
        while true {
            let result = try await verifyOnce()
            // The anchor is read before the rows; if another process signed two checkpoints in between,
            // they look two steps apart. Read again before calling that tampering: tampering stays.
            guard result.firstProblem?.kind == .anchor, attempt < 3 else { return result }
            attempt += 1
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    private func verifyOnce() async throws -> AuditVerification {
        var result = AuditVerification(checkedWithPIN: token?.seesPrivateObjects ?? false)
        func failing(_ kind: AuditVerification.Problem.Kind, _ sequence: Int64, _ reason: String) -> AuditVerification {
            var failed = result
            failed.firstProblem = .init(kind: kind, sequence: sequence, reason: reason)
            return failed
        }

        // Read order: token, then checkpoint rows, then entries. A checkpoint's row commits before its
        // anchor is written, and a checkpoint only covers entries already committed, so in this order
        // an untouched trail never shows the anchor ahead of the rows or the rows ahead of the entries.
        var anchors: [AuditAnchor.Copy: AuditCheckpoint] = [:]
        var unreadable: (AuditAnchor.Copy, String)?
        if let token {
            for copy in token.seesPrivateObjects ? [AuditAnchor.Copy.private, .public] : [.public] {
                do {
                    anchors[copy] = try Self.newestAnchor(in: token, copy)
                } catch let error as SignetError where error.code == .malformedInput {
                    unreadable = unreadable ?? (copy, error.reason)
                }
            }
        }
        let rows = try await repository.checkpoints()
        result.checkpoints = rows.count
        if let newest = rows.last { result.newestCheckpoint = .init(sequence: newest.sequence, time: newest.time, keyId: newest.keyID) }

        // The chain, page by page, keeping only the hashes checkpoints and anchors refer to.
        let needed = Set(rows.map(\.sequence) + anchors.values.map(\.sequence))
        var walker = AuditChain.Walker()
        var hashes: [Int64: String] = [:]
        var after: Int64 = 0
        while true {
            let page = try await repository.auditRecords(after: after, limit: 10_000)
            for record in page {
                if let reason = walker.check(record) {
                    result.entries = walker.count
                    result.lastSequence = walker.lastSequence
                    return failing(.chain, record.sequence, reason)
                }
                if needed.contains(record.sequence) { hashes[record.sequence] = record.hash }
            }
            guard let last = page.last, page.count == 10_000 else { break }
            after = last.sequence
        }
        result.entries = walker.count
        result.lastSequence = walker.lastSequence
        let last = walker.lastSequence

        // Each checkpoint row: its entry, its link to the row before, its signature.
        var signatures = token.map { SignatureCheck(token: $0) }
        var chainedSeen = false
        for (index, row) in rows.enumerated() {
            guard row.sequence <= last else {
                return failing(.checkpoint, row.sequence, "checkpoint signed at entry \(row.sequence), but the trail ends at \(last): entries were removed from the end")
            }
            guard hashes[row.sequence] == row.entryHash else {
                return failing(.checkpoint, row.sequence, "checkpoint does not match entry \(row.sequence): the entry or its predecessors were rewritten")
            }
            let before: Int64 = index == 0 ? 0 : rows[index - 1].sequence
            if let previous = row.previousSequence {
                if previous > before {
                    return failing(.checkpoint, row.sequence, "the checkpoint at entry \(row.sequence) was signed after one at entry \(previous), which is not in the database: checkpoint rows were deleted")
                }
                if previous < before {
                    return failing(.checkpoint, row.sequence, "the checkpoint at entry \(row.sequence) was signed after one at entry \(previous), but the database has one at entry \(before) between them: a checkpoint row was inserted")
                }
                chainedSeen = true
            } else if chainedSeen {
                return failing(.checkpoint, row.sequence, "an unchained (v1) checkpoint at entry \(row.sequence) follows chained ones; Signet no longer signs those, so the row was inserted")
            }
            if var check = signatures {
                if let problem = try check.problem(row, "the checkpoint") { return failing(.checkpoint, row.sequence, problem) }
                signatures = check
            }
        }

        guard let token, var check = signatures else {
            result.notChecked.append("checkpoint signatures and the token's anchor (\(tokenUnavailable))")
            return failing(.unverifiable, last, "\(tokenUnavailable), so checkpoint signatures and the token's anchor were not checked; the hash chain alone checks out to entry \(last), which proves nothing against someone who can write the database")
        }

        // The anchor: the private copy when logged in (only the PIN holder can write it), else the public one.
        if let (copy, reason) = unreadable {
            return failing(.anchor, last, "the token's \(copy.rawValue) audit anchor does not parse (\(reason)): it was overwritten")
        }
        let authoritative: AuditAnchor.Copy = token.seesPrivateObjects ? .private : .public
        let anchor = anchors[authoritative]
        let firstChained = rows.first(where: \.isChained)?.sequence
        func isFirstChained(_ checkpoint: AuditCheckpoint?) -> Bool { checkpoint?.isChained == true && checkpoint?.sequence == firstChained }
        if let anchor {
            result.anchor = .init(sequence: anchor.sequence, time: anchor.time, copy: authoritative.rawValue, oneBehind: false)
            guard anchor.sequence <= last else {
                return failing(.anchor, anchor.sequence, "the token's audit anchor pins entry \(anchor.sequence), but the trail ends at \(last): entries were removed from the end")
            }
            guard hashes[anchor.sequence] == anchor.entryHash else {
                return failing(.anchor, anchor.sequence, "the token's audit anchor does not match entry \(anchor.sequence): the entry or its predecessors were rewritten")
            }
            if let problem = try check.problem(anchor, "the token's audit anchor") { return failing(.anchor, anchor.sequence, problem) }
        }
        let newest = rows.last
        switch Self.agreement(anchor: anchor, newest: newest, newestIsFirstChained: isFirstChained(newest)) {
        case .same:
            if anchor == nil && newest != nil {
                result.notChecked.append("the token's anchor: there is none yet, as these checkpoints predate anchoring; the next checkpoint creates it")
            }
        case .oneBehind:
            result.anchor?.oneBehind = true
        case .disagrees:
            return failing(.anchor, anchor?.sequence ?? newest?.sequence ?? last, Self.disagreement(anchor: anchor, newest: newest))
        }

        if token.seesPrivateObjects {
            // The public copy is written after the private one, so it may be one step behind it.
            let publicCopy = anchors[.public]
            if let publicCopy, let anchor, !publicCopy.isSameStatement(as: anchor),
               let problem = try check.problem(publicCopy, "the public copy of the token's audit anchor") {
                return failing(.anchor, publicCopy.sequence, problem)
            }
            if let anchor, Self.agreement(anchor: publicCopy, newest: anchor, newestIsFirstChained: isFirstChained(anchor)) == .disagrees {
                return failing(.anchor, publicCopy?.sequence ?? anchor.sequence, "the public copy of the token's audit anchor (\(Self.describe(publicCopy))) disagrees with the private copy (\(Self.describe(anchor))): someone with access to the token but not the PIN replaced it")
            }
            if anchor == nil, let publicCopy {
                return failing(.anchor, publicCopy.sequence, "the token has a public audit anchor (\(Self.describe(publicCopy))) but no private one: someone with access to the token but not the PIN made it, or removed the private one")
            }
        } else {
            result.notChecked.append("the private copy of the anchor and the audit keys' private halves, which need the user PIN: anyone who can open a session on the token can create public objects, so without the PIN this shows only that the database was not rewritten by someone without access to the token")
        }

        // Freshness: a running server checkpoints every interval, even when nothing new was logged.
        let newestTime = [newest?.time, anchor?.time].compactMap { $0 }.max()
        let now = clock.now()
        if let newestTime { result.checkpointAgeSeconds = max(0, (now.timeIntervalSince(newestTime) * 1000).rounded() / 1000) }
        if let freshness {
            result.serverRunning = freshness.serverRunning
            result.maxCheckpointAgeSeconds = freshness.maxAge.seconds
            if freshness.serverRunning {
                guard let newestTime else {
                    return failing(.stale, last, "no checkpoint has been signed, yet `signet serve` runs on this home")
                }
                let age = now.timeIntervalSince(newestTime)
                if age > Double(freshness.maxAge.seconds) {
                    let at = max(newest?.sequence ?? 0, anchor?.sequence ?? 0)
                    return failing(.stale, at, "the newest checkpoint (entry \(at), signed \(ISO8601.string(newestTime))) is \(Int(age)) s old, more than audit.max_checkpoint_age (\(freshness.maxAge)) while `signet serve` runs on this home: the server has stopped checkpointing (see its log), or checkpoints were rolled back")
                }
            }
        }
        return result
    }

    // MARK: Shared with checkpointing

    /// How the anchor relates to the newest checkpoint row.
    enum Agreement: Equatable {
        case same
        /// The row is the checkpoint signed right after the anchor: the anchor write was interrupted.
        case oneBehind
        case disagrees
    }

    /// The anchor must be the newest row, or the checkpoint just before it (``AuditCheckpoint/directlyFollows(_:)``).
    /// No anchor is the state before the first chained checkpoint: right for a trail with none, one
    /// step behind for a trail whose newest row is its first chained one.
    static func agreement(anchor: AuditCheckpoint?, newest: AuditCheckpoint?, newestIsFirstChained: Bool) -> Agreement {
        switch (anchor, newest) {
        case (nil, nil):
            return .same
        case (nil, let newest?):
            if !newest.isChained { return .same }
            return newestIsFirstChained ? .oneBehind : .disagrees
        case (_?, nil):
            return .disagrees
        case (let anchor?, let newest?):
            if newest.isSameStatement(as: anchor) { return .same }
            return newest.directlyFollows(anchor) ? .oneBehind : .disagrees
        }
    }

    static func describe(_ checkpoint: AuditCheckpoint?) -> String {
        guard let checkpoint else { return "none" }
        return "entry \(checkpoint.sequence), signed \(ISO8601.string(checkpoint.time))"
    }

    static func disagreement(anchor: AuditCheckpoint?, newest: AuditCheckpoint?) -> String {
        guard let anchor else {
            return "the token holds no audit anchor, but the database has chained checkpoints up to \(describe(newest)): the anchor was removed from the token"
        }
        guard let newest else {
            return "the token's audit anchor pins the checkpoint at \(describe(anchor)), but the database has no checkpoints: checkpoint rows were deleted"
        }
        if newest.sequence < anchor.sequence || (newest.sequence == anchor.sequence && newest.timeMillis < anchor.timeMillis) {
            return "the token's audit anchor pins the checkpoint at \(describe(anchor)), but the newest checkpoint in the database is at \(describe(newest)): checkpoint rows were deleted"
        }
        return "the newest checkpoint in the database (\(describe(newest))) does not follow the token's audit anchor (\(describe(anchor))): checkpoints were replaced, or the anchor was rolled back"
    }

    /// The newest anchor of `copy` in the token: with several objects (an interrupted write), the one
    /// furthest along. Throws a `malformedInput` error when any of them does not parse.
    static func newestAnchor(in token: any AuditAnchorReader, _ copy: AuditAnchor.Copy) throws -> AuditCheckpoint? {
        let anchors = try token.anchorValues(copy).map(AuditAnchor.decode)
        return anchors.max { ($0.sequence, $0.timeMillis) < ($1.sequence, $1.timeMillis) }
    }

    /// Checks checkpoint signatures against the keys the token holds, looking each key up once.
    struct SignatureCheck {
        let token: any AuditAnchorReader
        private var keys: [String: TokenAuditKey] = [:]
        private var refusals: [String: String] = [:]

        init(token: any AuditAnchorReader) { self.token = token }

        /// Why `checkpoint` is not signed by an audit key the token holds, or nil when it is.
        mutating func problem(_ checkpoint: AuditCheckpoint, _ what: String) throws -> String? {
            let key: TokenAuditKey
            if let known = keys[checkpoint.keyID] {
                key = known
            } else if let refusal = refusals[checkpoint.keyID] {
                return "\(what) at entry \(checkpoint.sequence) is signed by key \(checkpoint.keyID), \(refusal)"
            } else {
                let refusal: String
                if let id = Hex.decode(checkpoint.keyID), let found = try token.auditKey(id: id) {
                    if let reason = found.disqualification(loggedIn: token.seesPrivateObjects) {
                        refusal = "which the token holds, but not as a Signet audit key: \(reason)"
                    } else {
                        keys[checkpoint.keyID] = found
                        return try problem(checkpoint, what)
                    }
                } else {
                    refusal = "which the token does not hold (a public key recorded in the database proves nothing)"
                }
                refusals[checkpoint.keyID] = refusal
                return "\(what) at entry \(checkpoint.sequence) is signed by key \(checkpoint.keyID), \(refusal)"
            }
            guard key.publicKey.isValidSignature(checkpoint.signature, for: checkpoint.signedBytes, signatureAlgorithm: key.algorithm.signatureAlgorithm) else {
                return "\(what) at entry \(checkpoint.sequence) does not verify under audit key \(checkpoint.keyID): it was forged or altered"
            }
            return nil
        }
    }
}
