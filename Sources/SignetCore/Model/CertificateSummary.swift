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
    /// The CI identity's repository, for certificates issued to one.
    public var repository: String?
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
            repository: repository, requester: requester, keyId: keyID, notBefore: notBefore, notAfter: notAfter, revokedAt: revokedAt,
            revocationReason: revocationReason?.name, createdAt: createdAt)
    }
}

extension CertificateSummary {
    /// This summary as a JSON object, keys sorted and snake_case, exactly as the API's JSONEncoder
    /// would write it (absent optionals omitted).
    public var json: String {
        var out: [UInt8] = []
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON object to `out` (a test holds the result to JSONEncoder's).
    public func appendJSON(to out: inout [UInt8]) {
        Self.appendJSON(
            createdAt: createdAt, issuer: issuer, keyID: keyId, notAfter: notAfter, notBefore: notBefore, profile: profile,
            release: release, repository: repository, requester: requester, revocationReason: revocationReason, revokedAt: revokedAt, serial: serial,
            status: status, subject: subject, team: team, text: CanonicalJSON.appendString, to: &out)
    }

    /// Appends the summary of a store row to `out`, byte for byte what `summary(at:).appendJSON(to:)` of
    /// its record writes, without building the record (a listing writes a page of these).
    public static func appendJSON(_ row: CertificateRowView, at now: Date, to out: inout [UInt8]) {
        let status = row.status.withMemoryRebound(to: UInt8.self) { CertificateStatus(rawValue: String(decoding: $0, as: UTF8.self)) } ?? .pending
        // Compared as Dates, exactly as CertificateRecord.displayStatus(at:) does: Date keeps seconds since
        // 2001, so a Double of seconds since 1970 can round either way when it equals `now`.
        let notAfter = Date(timeIntervalSince1970: row.notAfter)
        let display = status == .valid && notAfter < now ? "expired" : status.rawValue
        appendJSON(
            createdAt: Date(timeIntervalSince1970: row.createdAt), issuer: row.issuer, keyID: row.keyID,
            notAfter: notAfter, notBefore: Date(timeIntervalSince1970: row.notBefore), profile: row.profile,
            release: row.release, repository: row.repository, requester: row.requester, revocationReason: row.revocationReason.flatMap(RevocationReason.init(rawValue:))?.name,
            revokedAt: row.revokedAt.map(Date.init(timeIntervalSince1970:)), serial: row.serial,
            status: display, subject: row.subject, team: row.team, text: CanonicalJSON.appendString, to: &out)
    }

    /// The one place that knows the summary's keys and their sorted order; `text` writes a JSON string
    /// from whatever holds the text (a String, or UTF-8 borrowed from the store).
    static func appendJSON<Text>(
        createdAt: Date, issuer: Text, keyID: Text?, notAfter: Date, notBefore: Date, profile: Text, release: Text?, repository: Text?, requester: Text,
        revocationReason: String?, revokedAt: Date?, serial: Text, status: String, subject: Text, team: Text?,
        text: (Text, inout [UInt8]) -> Void, to out: inout [UInt8]
    ) {
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func field(_ name: StaticString, _ value: Text?) {
            guard let value else { return }
            key(name)
            text(value, &out)
        }
        func word(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            CanonicalJSON.appendString(value, to: &out)
        }
        func time(_ name: StaticString, _ value: Date?) {
            guard let value else { return }
            key(name)
            out.append(UInt8(ascii: "\""))
            ISO8601.append(value, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "{"))
        time("created_at", createdAt)
        field("issuer", issuer)
        field("key_id", keyID)
        time("not_after", notAfter)
        time("not_before", notBefore)
        field("profile", profile)
        field("release", release)
        field("repository", repository)
        field("requester", requester)
        word("revocation_reason", revocationReason)
        time("revoked_at", revokedAt)
        field("serial", serial)
        word("status", status)
        field("subject", subject)
        field("team", team)
        out.append(UInt8(ascii: "}"))
    }
}

/// One row of a certificate listing as the store holds it, its texts borrowed as UTF-8 for the time of
/// one call. A page of summaries is written straight from the store's buffers this way, instead of
/// allocating a record, a summary and a dozen strings per row (that was most of a listing's CPU).
public struct CertificateRowView {
    public var serial: UnsafeRawBufferPointer
    public var issuer: UnsafeRawBufferPointer
    public var profile: UnsafeRawBufferPointer
    public var subject: UnsafeRawBufferPointer
    public var team: UnsafeRawBufferPointer?
    public var release: UnsafeRawBufferPointer?
    public var requester: UnsafeRawBufferPointer
    public var keyID: UnsafeRawBufferPointer?
    public var notBefore: Double
    public var notAfter: Double
    /// The stored status (`pending`, `valid`, `revoked`); the summary shows `expired` when due.
    public var status: UnsafeRawBufferPointer
    public var revokedAt: Double?
    public var revocationReason: Int?
    public var createdAt: Double
    public var repository: UnsafeRawBufferPointer?

    public init(serial: UnsafeRawBufferPointer, issuer: UnsafeRawBufferPointer, profile: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer,
                team: UnsafeRawBufferPointer?, release: UnsafeRawBufferPointer?, requester: UnsafeRawBufferPointer, keyID: UnsafeRawBufferPointer?,
                notBefore: Double, notAfter: Double, status: UnsafeRawBufferPointer, revokedAt: Double?, revocationReason: Int?, createdAt: Double,
                repository: UnsafeRawBufferPointer? = nil) {
        self.repository = repository
        self.serial = serial
        self.issuer = issuer
        self.profile = profile
        self.subject = subject
        self.team = team
        self.release = release
        self.requester = requester
        self.keyID = keyID
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.status = status
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
        self.createdAt = createdAt
    }
}

/// One page of a listing written as JSON by the store (see ``CertificateRepository/certificateSummaries(_:now:)``).
public struct CertificateSummaryPage: Sendable {
    /// The page's summaries as JSON objects separated by commas, without the enclosing brackets.
    public var json: [UInt8]
    public var count: Int
    /// Where the next page starts; nil on the last page.
    public var next: CertificateQuery.Cursor?

    public init(json: [UInt8], count: Int, next: CertificateQuery.Cursor?) {
        self.json = json
        self.count = count
        self.next = next
    }
}

/// Revocation needs no key: it is a state change in the store plus its audit entry. CRL and OCSP
/// publication follow from it.
public enum Revocation {
    public static func revoke(serial: String, reason: RevocationReason, by principal: Principal, repository: any SignetRepository, clock: any SignetClock) async throws -> CertificateRecord {
        let normalized = try Hex.serial(serial)
        guard RevocationReason.acceptedForRevocation.contains(reason) else {
            throw SignetError.malformed("\(reason.name) is not accepted as a revocation reason")
        }
        try AccessPolicy.checkRevoke(principal)
        // Who requested a certificate never changes, so checking before the revoking write is not a race.
        if principal.role != .admin {
            guard let record = try await repository.certificate(serial: normalized) else {
                throw SignetError.notFound("No certificate with serial \(normalized)")
            }
            try AccessPolicy.checkRevoke(principal, certificate: record, reason: reason)
        }
        let now = clock.now()
        return try await repository.revoke(serial: normalized, reason: reason, at: now, event: AuditEvent(
            time: now, principal: principal, action: AuditAction.certificateRevoke, target: normalized, details: ["reason": reason.name]))
    }
}
