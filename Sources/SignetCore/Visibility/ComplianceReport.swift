import Foundation

/// One document that answers an auditor's questions: how keys are protected (attributes read back
/// from the HSM), which algorithm and validity limits the profiles enforce, what was revoked in the
/// period, how many signatures each key made, and what is currently wrong.
public struct ComplianceReport: Sendable, Codable {
    public struct KeyProtectionLine: Sendable, Codable {
        public var id: String
        public var label: String
        public var purpose: String
        public var algorithm: String
        public var state: String
        /// Read back from the token; nil when the key is not in it.
        public var protection: KeyProtection?
        public var fullyProtected: Bool
    }

    public struct ProfileLine: Sendable, Codable {
        public var name: String
        public var kind: String
        public var keySource: String
        public var algorithms: [String]
        public var defaultValidity: String
        public var maxValidity: String
        public var extendedKeyUsage: [String]
        public var roles: [String]
        public var teams: [String]
        public var rotation: String?
    }

    public struct Revocation: Sendable, Codable {
        public var serial: String
        public var issuer: String
        public var team: String?
        public var reason: String
        public var revokedAt: Date
    }

    public struct KeyActivity: Sendable, Codable {
        public var keyId: String
        public var label: String
        /// Certificates signed with the key (CA keys) in the period.
        public var certificatesSigned: Int
        /// Remote signatures made with the key (release keys) in the period.
        public var remoteSignatures: Int
    }

    public var generatedAt: Date
    public var periodStart: Date
    public var custody: String
    public var keys: [KeyProtectionLine]
    public var profiles: [ProfileLine]
    public var revocations: [Revocation]
    public var activity: [KeyActivity]
    public var refusedRequests: Int
    public var failedAuthentications: Int
    public var audit: AuditVerification
    public var anomalies: [String]

    public static func collect(ca: CertificateAuthority, trail: AuditTrail, counts: any InventoryRepository, since: Date) async throws -> ComplianceReport {
        let now = ca.clock.now()
        let repository = ca.repository
        let inventory = try await Inventory.collect(ca: ca, counts: counts, expiringWithin: .days(7))
        let storeKeys = try await repository.keys()
        let keys = storeKeys.filter { $0.state == .active || $0.state == .retiring || $0.state == .pending }.map { key -> KeyProtectionLine in
            let protection = try? ca.custodian.protection(of: key.reference)
            return KeyProtectionLine(id: key.id, label: key.label, purpose: key.purpose.rawValue, algorithm: key.algorithm.rawValue, state: key.state.rawValue,
                                     protection: protection, fullyProtected: protection?.isFullyProtected ?? false)
        }
        let profiles = ca.profiles.all.map { p in
            ProfileLine(name: p.name, kind: p.kind.rawValue, keySource: p.keySource.rawValue, algorithms: p.keyAlgorithms.map(\.rawValue),
                        defaultValidity: p.defaultValidity.description, maxValidity: p.maxValidity.description,
                        extendedKeyUsage: p.extendedKeyUsage.map { "\($0)" }, roles: p.allowedRoles.map(\.rawValue).sorted(),
                        teams: { if case .only(let teams) = p.allowedTeams { return teams.sorted() } else { return ["*"] } }(),
                        rotation: p.rotation.map { "every \($0.every), overlap \($0.overlap)" })
        }
        var events: [AuditEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await trail.checkpoints.auditEntries(AuditQuery(since: since, after: after, limit: 10_000))
            events += page
            guard let last = page.last, page.count == 10_000 else { break }
            after = last.sequence
        }
        var revocations: [Revocation] = []
        var signed: [String: Int] = [:]
        var remote: [String: Int] = [:]
        let authoritiesByName = Dictionary(uniqueKeysWithValues: try await repository.authorities().map { ($0.name, $0) })
        for entry in events {
            switch entry.event.action {
            case AuditAction.certificateRevoke:
                if let serial = entry.event.target, let record = try await repository.certificate(serial: serial), let revokedAt = record.revokedAt {
                    revocations.append(Revocation(serial: serial, issuer: record.issuer, team: record.team, reason: record.revocationReason?.name ?? "unspecified", revokedAt: revokedAt))
                }
            case AuditAction.certificateIssue:
                if let issuer = entry.event.details["issuer"], let key = authoritiesByName[issuer]?.keyID { signed[key, default: 0] += 1 }
            case AuditAction.remoteSign:
                if let key = entry.event.target { remote[key, default: 0] += 1 }
            default:
                break
            }
        }
        let labels = Dictionary(uniqueKeysWithValues: storeKeys.map { ($0.id, $0.label) })
        let activity = Set(signed.keys).union(remote.keys).sorted().map {
            KeyActivity(keyId: $0, label: labels[$0] ?? "?", certificatesSigned: signed[$0] ?? 0, remoteSignatures: remote[$0] ?? 0)
        }
        let audit = try await trail.verify()
        var anomalies: [String] = []
        if let problem = audit.firstProblem { anomalies.append(problem.summary) }
        for key in inventory.consistency.unknownInToken { anomalies.append("Key \(key.label) (id \(key.id)) is in the token but not in Signet's records") }
        for key in inventory.consistency.missingFromToken { anomalies.append("Key \(key.label) (id \(key.id)) is \(key.state) in Signet's records but missing from the token") }
        for key in keys where key.state == "active" && !key.fullyProtected { anomalies.append("Key \(key.label) is not fully protected in the token") }
        for key in storeKeys where key.state == .pending { anomalies.append("Key \(key.label) is pending since \(key.createdAt): an interrupted generation (reconciled at the next start)") }
        let pendingCertificates = try await repository.countCertificates(CertificateQuery(status: .pending))
        if pendingCertificates > 0 { anomalies.append("\(pendingCertificates) certificate(s) reserved but never issued (a crash between signing and recording)") }
        for authority in inventory.authorities where authority.state == "active" && authority.notAfter < now.addingTimeInterval(30 * 86_400)
            && (authority.nextRotation.map { $0 >= authority.notAfter } ?? true) {
            anomalies.append("Authority \(authority.name) expires at \(authority.notAfter) and has no successor")
        }
        // A throttled spell means someone kept presenting bad tokens past the allowance: worth a look.
        let throttled = Dictionary(grouping: events.filter { $0.event.action == AuditAction.authThrottle }, by: { $0.event.target ?? "unknown" })
        for (client, spells) in throttled.sorted(by: { $0.key < $1.key }) {
            anomalies.append("Client \(client) was throttled \(spells.count) time(s) for repeated failed authentication")
        }
        return ComplianceReport(
            generatedAt: now, periodStart: since, custody: inventory.custody, keys: keys, profiles: profiles, revocations: revocations,
            activity: activity, refusedRequests: events.filter { $0.event.action == AuditAction.certificateRefuse }.count,
            failedAuthentications: events.filter { $0.event.action == AuditAction.authFail }.count, audit: audit, anomalies: anomalies)
    }

    /// The report as Markdown, for humans.
    public func markdown() -> String {
        let f = ISO8601DateFormatter()
        var out = "# Signet compliance report\n\nGenerated \(f.string(from: generatedAt)) for the period since \(f.string(from: periodStart)).\n\n"
        out += "## Key custody\n\nKeys live in `\(custody)`. Attributes below are read back from the token now.\n\n"
        out += "| key | purpose | algorithm | state | sensitive | extractable | never extractable | generated in token | fully protected |\n|---|---|---|---|---|---|---|---|---|\n"
        for k in keys {
            let p = k.protection
            out += "| \(k.label) | \(k.purpose) | \(k.algorithm) | \(k.state) | \(p.map { "\($0.sensitive)" } ?? "missing") | \(p.map { "\($0.extractable)" } ?? "-") | \(p.map { "\($0.neverExtractable)" } ?? "-") | \(p.map { "\($0.local)" } ?? "-") | \(k.fullyProtected ? "yes" : "**no**") |\n"
        }
        out += "\n## Limits enforced by profiles\n\n| profile | kind | key source | algorithms | default validity | max validity | roles | teams | rotation |\n|---|---|---|---|---|---|---|---|---|\n"
        for p in profiles {
            out += "| \(p.name) | \(p.kind) | \(p.keySource) | \(p.algorithms.joined(separator: ", ")) | \(p.defaultValidity) | \(p.maxValidity) | \(p.roles.joined(separator: ", ")) | \(p.teams.joined(separator: ", ")) | \(p.rotation ?? "-") |\n"
        }
        out += "\n## Revocations in the period (\(revocations.count))\n\n"
        if revocations.isEmpty { out += "None.\n" } else {
            out += "| serial | issuer | team | reason | revoked at |\n|---|---|---|---|---|\n"
            for r in revocations { out += "| \(r.serial) | \(r.issuer) | \(r.team ?? "-") | \(r.reason) | \(f.string(from: r.revokedAt)) |\n" }
        }
        out += "\n## Signatures per key in the period\n\n| key | certificates signed | remote signatures |\n|---|---|---|\n"
        for a in activity { out += "| \(a.label) (\(a.keyId)) | \(a.certificatesSigned) | \(a.remoteSignatures) |\n" }
        out += "\nRefused certificate requests: \(refusedRequests). Failed authentications: \(failedAuthentications).\n"
        out += "\n## Audit trail\n\n\(audit.entries) entries and \(audit.checkpoints) signed checkpoints checked: "
        out += audit.firstProblem.map { "**\($0.summary)**.\n" } ?? "intact.\n"
        out += "\n## Open anomalies (\(anomalies.count))\n\n"
        out += anomalies.isEmpty ? "None.\n" : anomalies.map { "- \($0)\n" }.joined()
        return out
    }
}
