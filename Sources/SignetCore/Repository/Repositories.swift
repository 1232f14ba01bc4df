import Foundation
import SignetWire

/// Filters for listing certificates; every field narrows the result.
public struct CertificateQuery: Sendable, Hashable {
    public var status: CertificateStatus?
    /// Only valid certificates whose notAfter is already past (`status: expired` in the CLI/API).
    public var expiredAt: Date?
    public var team: String?
    public var profile: String?
    public var issuer: String?
    public var release: String?
    /// Only certificates of this HSM key.
    public var keyID: String?
    /// Only certificates issued to CI identities of this repository.
    public var repository: String?
    /// Only valid certificates with `now < notAfter <= expiringBefore`.
    public var expiringBefore: Date?
    public var now: Date?
    /// Keyset pagination: an opaque cursor (``Cursor/string``) naming the last certificate of the
    /// previous page. Listings are ordered by notAfter, then by issuance (the order records were reserved).
    public var after: String?
    public var limit: Int

    public init(status: CertificateStatus? = nil, expiredAt: Date? = nil, team: String? = nil, profile: String? = nil, issuer: String? = nil,
                release: String? = nil, expiringBefore: Date? = nil, now: Date? = nil, after: String? = nil, limit: Int = 100, repository: String? = nil) {
        self.repository = repository
        self.status = status
        self.expiredAt = expiredAt
        self.team = team
        self.profile = profile
        self.issuer = issuer
        self.release = release
        self.expiringBefore = expiringBefore
        self.now = now
        self.after = after
        self.limit = limit
    }
}

extension CertificateQuery {
    /// Position in a listing: the notAfter and serial of the last certificate seen.
    public struct Cursor: Sendable, Hashable {
        public let notAfter: Double
        public let serial: String

        public init(notAfter: Double, serial: String) {
            self.notAfter = notAfter
            self.serial = serial
        }

        public init(after record: CertificateRecord) {
            self.notAfter = record.notAfter.timeIntervalSince1970
            self.serial = record.serial
        }

        /// Parses `<notAfter>_<serial>`; nil for anything else. A cursor comes back from clients, so
        /// `Double` is not trusted with it alone: nan, inf and times outside the years 0000–9999 (which
        /// no certificate has) are refused, and so are serials longer than the 20 octets RFC 5280 allows.
        public init?(_ text: some StringProtocol) {
            guard text.utf8.count <= 128 else { return nil }
            let parts = text.split(separator: "_", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1].utf8.count <= 40, let notAfter = Double(parts[0]), notAfter.isFinite,
                  Double(UTCComponents.representable.lowerBound) <= notAfter, notAfter <= Double(UTCComponents.representable.upperBound),
                  Hex.decode(parts[1]) != nil else { return nil }
            self.notAfter = notAfter
            self.serial = String(parts[1]).lowercased()
        }

        public var string: String { "\(notAfter)_\(serial)" }
    }
}

/// Authorities (root, issuing CAs, OCSP signers, TSA) and their lifecycle. Every transition is one
/// transaction with its audit entries, so a crash leaves the old or the new authority active, never neither.
public protocol AuthorityRepository: Sendable {
    func authorities() async throws -> [AuthorityRecord]
    func authority(named name: String) async throws -> AuthorityRecord?
    /// `next` → active and, if given, `superseding` active → retiring.
    func promoteAuthority(_ name: String, superseding: String?, at time: Date, events: [AuditEvent]) async throws
    /// retiring → retired, and its key → retiring (scheduled for destruction).
    func retireAuthority(_ name: String, at time: Date, event: AuditEvent) async throws
    /// The latest notAfter of the certificates `issuer` signed that still matter: those of outside keys,
    /// and of keys Signet holds that are alive, except the issuer's own OCSP signers. Nil when none.
    func latestExpiry(issuer: String) async throws -> Date?
    /// Increases with every change to authorities, so another process can notice and reload.
    func authorityRevision() async throws -> Int64
}

/// Keys in custody and their lifecycle.
public protocol KeyRepository: Sendable {
    /// Records a key before the token generates it (state `pending`).
    func recordPendingKey(_ key: KeyRecord, event: AuditEvent) async throws
    /// Records a per-release key before the token generates it, in the same transaction as the check
    /// that its team holds fewer than `maxLivePerTeam` live (pending or active) keys of the purpose;
    /// refuses (`policyRefused`) otherwise. Checked in the write so concurrent requests cannot both pass.
    func recordPendingKey(_ key: KeyRecord, maxLivePerTeam: Int, event: AuditEvent) async throws
    func keys() async throws -> [KeyRecord]
    func key(id: String) async throws -> KeyRecord?
    /// Moves a key to a new state, with the audit event, in one transaction.
    func setKeyState(id: String, to state: KeyState, at time: Date, event: AuditEvent) async throws
}

/// Certificates: reserved with their TBS before signing, completed after, revoked later.
public protocol CertificateRepository: Sendable {
    /// Persists the serial and TBS of a certificate about to be signed. Throws
    /// `SignetError.Code.conflict` if the serial already exists.
    func reserve(_ pending: PendingCertificate) async throws
    /// Records the signed certificate; it becomes `valid`. Durable before this returns.
    func complete(serial: String, der: [UInt8], event: AuditEvent) async throws -> CertificateRecord
    /// Records the certificate of a new authority, activates its key and creates the authority, in one
    /// transaction: either the authority exists with its key and certificate, or none of them do.
    /// When `superseding` names an active authority, it becomes retiring in the same transaction. A CA
    /// comes with its first CRL (number 1), recorded in the same transaction, so that from the moment
    /// any process can see the CA its CRL can be served (RFC 5280 §5: relying parties that find no CRL
    /// at the CDP fail closed).
    func completeAuthority(_ authority: AuthorityRecord, der: [UInt8], superseding: String?, firstCRL: PublishedCRL?, events: [AuditEvent]) async throws
    /// Records the certificate of a new HSM key (a release key) and activates the key, in one transaction.
    /// Keys named in `superseding` (the release's previous keys) become `retiring` in the same
    /// transaction: from that commit on they can no longer sign, and they are destroyed next.
    func completeKeyCertificate(serial: String, der: [UInt8], keyID: String, superseding: [String], events: [AuditEvent]) async throws -> CertificateRecord
    func certificate(serial: String) async throws -> CertificateRecord?
    func certificates(_ query: CertificateQuery) async throws -> [CertificateRecord]
    /// One page of `query` (at most `query.limit` certificates) as the summaries' JSON at `now`, written
    /// straight from the store's rows, with the cursor of the next page when there is one.
    func certificateSummaries(_ query: CertificateQuery, now: Date) async throws -> CertificateSummaryPage
    func countCertificates(_ query: CertificateQuery) async throws -> Int
    /// Revokes a valid certificate. Throws `notFound` for an unknown serial and `conflict` if it is
    /// already revoked or never completed.
    func revoke(serial: String, reason: RevocationReason, at time: Date, event: AuditEvent) async throws -> CertificateRecord
}

/// The append-only, hash-chained audit trail.
public protocol AuditRepository: Sendable {
    /// Appends an event that has no state change of its own (a refusal, a failed login).
    func append(_ event: AuditEvent) async throws
    func auditEntries(after sequence: Int64, limit: Int) async throws -> [AuditEntry]
}

/// Everything Core needs from persistence.
public typealias SignetRepository = AuthorityRepository & KeyRepository & CertificateRepository & AuditRepository & RevocationRepository & TimestampSerialRepository

/// Everything a store implements (SQLite's and PostgreSQL's alike): what Core needs, plus tokens, audit
/// checkpoints and the inventory's counts. What the runtime opens from a home's `store:` setting.
public typealias SignetStorage = SignetRepository & TokenRepository & AuditCheckpointRepository & InventoryRepository

/// Action names written to the audit trail.
public enum AuditAction {
    public static let caInit = "ca.init"
    public static let keyGenerate = "key.generate"
    public static let keyActivate = "key.activate"
    public static let keyDestroy = "key.destroy"
    public static let keyAbandon = "key.abandon"
    public static let keyRetire = "key.retire"
    public static let authorityCreate = "authority.create"
    public static let certificateIssue = "certificate.issue"
    public static let certificateRefuse = "certificate.refuse"
    public static let certificateRevoke = "certificate.revoke"
    public static let tokenCreate = "token.create"
    public static let tokenRevoke = "token.revoke"
    public static let authFail = "auth.fail"
    /// A client went over its allowance of failed authentications; its further failures in this
    /// spell are refused with 429 and not audited one by one (``AuthFailureThrottle``).
    public static let authThrottle = "auth.throttle"
    public static let tsaSerialsReserve = "tsa.serials.reserve"
    public static let authorityRotate = "authority.rotate"
    public static let authorityRetire = "authority.retire"
    public static let releaseKeyCreate = "release.key.create"
    public static let remoteSign = "signature.remote"
    public static let crlPublish = "crl.publish"
    /// A CI job's ID token refused (at the API or the exchange), with what it claimed or proved.
    public static let authOIDCRefuse = "auth.oidc.refuse"
    /// A CI job exchanged its ID token for a short-lived Signet token.
    public static let authOIDCExchange = "auth.oidc.exchange"
    /// A release key refused (a release the caller's CI identity rule does not grant).
    public static let releaseKeyRefuse = "release.key.refuse"
    /// A remote signature refused before the HSM was asked (another team's key, another release's).
    public static let signatureRefuse = "signature.refuse"
}
