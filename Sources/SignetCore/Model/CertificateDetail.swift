import Foundation

/// One certificate as `GET /api/v1/certificates/<serial>`, a revocation and `signet show --json` answer:
/// the summary's fields with, under `certificate`, the PEM — the key under which `POST
/// /api/v1/certificates` returns it too, so a client reads a certificate the same way from every answer.
/// `certificate` is null while the certificate is pending (reserved, not yet signed).
public struct CertificateDetail: Encodable, Sendable {
    public var summary: CertificateSummary
    public var certificatePEM: String?

    public init(summary: CertificateSummary, certificatePEM: String?) {
        self.summary = summary
        self.certificatePEM = certificatePEM
    }

    public func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(certificatePEM, forKey: .certificate)
    }

    private enum Key: String, CodingKey { case certificate }
}

extension CertificateRecord {
    /// The detail view of this record at `now`.
    public func detail(at now: Date) -> CertificateDetail {
        CertificateDetail(summary: summary(at: now), certificatePEM: der.map { PEM.encode($0) })
    }
}
