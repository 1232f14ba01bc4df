import Foundation

/// One revoked certificate as a CRL or OCSP responder needs it.
public struct RevokedEntry: Sendable, Hashable {
    public let serial: [UInt8]
    public let revokedAt: Date
    public let reason: RevocationReason?

    public init(serial: [UInt8], revokedAt: Date, reason: RevocationReason?) {
        self.serial = serial
        self.revokedAt = revokedAt
        self.reason = reason
    }
}

/// What revocation publishing needs from the store: the revoked set per issuer, a persisted CRL
/// number, and a cheap revision number that changes whenever anything is revoked (so a server notices
/// revocations made by another process, e.g. `signet revoke`).
public protocol RevocationRepository: Sendable {
    /// Revoked certificates of `issuer` that have not expired at `now` (expired ones may leave the CRL).
    func revokedEntries(issuer: String, notExpiredAt now: Date) async throws -> [RevokedEntry]
    /// Allocates the next CRL number for `issuer` (strictly increasing, persisted; RFC 5280 §5.2.3),
    /// recording `event` (with the number added) in the same transaction.
    func nextCRLNumber(issuer: String, event: AuditEvent) async throws -> Int64
    /// Increases with every revocation.
    func revocationRevision() async throws -> Int64
    /// Records a signed CRL as the issuer's newest, unless a CRL with a higher number is already
    /// recorded (two processes publishing at once keep the newer one).
    func recordCRL(_ crl: PublishedCRL) async throws
    /// The newest CRL recorded for `issuer`, by whichever process signed it.
    func latestCRL(issuer: String) async throws -> PublishedCRL?
}
