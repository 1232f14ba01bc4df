import Foundation

/// The public view of a certificate record, as the CLI's `--json` and the HTTP API print it.
/// Status is what a reader should see now (a valid certificate past notAfter reads `expired`).
public struct CertificateSummary: Codable, Sendable, Hashable {
    public var serial: String
    public var status: String
    public var profile: String
    public var issuer: String
    public var subject: String
    public var team: String?
    public var release: String?
    public var requester: String
    public var keyId: String?
    public var notBefore: Date
    public var notAfter: Date
    public var revokedAt: Date?
    public var revocationReason: String?
    public var createdAt: Date
}

extension CertificateRecord {
    public func summary(at now: Date) -> CertificateSummary {
        CertificateSummary(
            serial: serial, status: displayStatus(at: now), profile: profile, issuer: issuer, subject: subject, team: team, release: release,
            requester: requester, keyId: keyID, notBefore: notBefore, notAfter: notAfter, revokedAt: revokedAt,
            revocationReason: revocationReason?.name, createdAt: createdAt)
    }
}

/// Revocation needs no key: it is a state change in the store plus its audit entry. CRL and OCSP
/// publication follow from it.
public enum Revocation {
    public static func revoke(serial: String, reason: RevocationReason, by principal: Principal, repository: any SignetRepository, clock: any SignetClock) async throws -> CertificateRecord {
        try AccessPolicy.checkRevoke(principal)
        let normalized = serial.lowercased()
        guard Hex.decode(normalized) != nil else {
            throw SignetError.malformed("Expected a serial in lowercase hex without separators, got '\(serial)'")
        }
        guard RevocationReason.acceptedForRevocation.contains(reason) else {
            throw SignetError.malformed("\(reason.name) is not accepted as a revocation reason")
        }
        let now = clock.now()
        return try await repository.revoke(serial: normalized, reason: reason, at: now, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.certificateRevoke, target: normalized, details: ["reason": reason.name]))
    }
}
