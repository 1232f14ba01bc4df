import Foundation
import SignetWire
import SwiftASN1
import X509

/// A signed CRL as published: who issued it, its number and window, and the DER.
public struct PublishedCRL: Sendable, Hashable {
    public let issuer: String
    public let number: Int64
    public let thisUpdate: Date
    public let nextUpdate: Date
    public let entries: Int
    public let der: [UInt8]

    public init(issuer: String, number: Int64, thisUpdate: Date, nextUpdate: Date, entries: Int, der: [UInt8]) {
        self.issuer = issuer
        self.number = number
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.entries = entries
        self.der = der
    }

    /// Halfway through its window a CRL is refreshed, so relying parties never see one expire.
    public func needsRefresh(at now: Date) -> Bool {
        now >= thisUpdate.addingTimeInterval(nextUpdate.timeIntervalSince(thisUpdate) / 2)
    }
}

/// Builds and signs one issuer's CRL (RFC 5280 §5): collects its unexpired revocations, takes the
/// next persisted CRL number, builds the v2 TBSCertList with AKI and CRL number, and signs it with
/// the issuer's key in the HSM. Collecting, signing and storing are separate roles (Boulder's
/// `crl/updater` and `crl/storer`): this type only collects and signs.
public struct CRLIssuer: Sendable {
    public let repository: any SignetRepository
    public let clock: any SignetClock
    /// nextUpdate - thisUpdate.
    public let validity: ValidityDuration

    /// RFC 5280 leaves the CRL lifetime to policy; CA/B Forum CS BR §4.9.7 caps it at 10 days and
    /// Signet at 7.
    public static let maximumValidity = ValidityDuration.days(7)

    public init(repository: any SignetRepository, clock: any SignetClock, validity: ValidityDuration) throws {
        guard validity <= Self.maximumValidity else {
            throw SignetError.configuration("crl.next_update \(validity) exceeds the 7-day maximum")
        }
        self.repository = repository
        self.clock = clock
        self.validity = validity
    }

    public func issue(for authority: LoadedAuthority) async throws -> PublishedCRL {
        let now = clock.now()
        let entries = try await repository.revokedEntries(issuer: authority.name, notExpiredAt: now)
        let number = try await repository.nextCRLNumber(issuer: authority.name, event: AuditEvent(
            time: now, actor: "signet", role: nil, action: AuditAction.crlPublish, target: authority.name, details: ["entries": "\(entries.count)"]))
        return try Self.sign(for: authority, number: number, entries: entries, at: now, validity: validity)
    }

    /// Builds the v2 TBSCertList of `authority` with `number` and `entries`, valid from `now` for
    /// `validity`, signs it with the authority's key and checks the signature. No store access: used
    /// for every published CRL and for a new CA's first one, which is recorded with the CA itself.
    public static func sign(for authority: LoadedAuthority, number: Int64, entries: [RevokedEntry], at now: Date, validity: ValidityDuration) throws -> PublishedCRL {
        guard let ski = try authority.certificate.extensions.subjectKeyIdentifier else {
            throw SignetError.internalError("Authority \(authority.name) has no subjectKeyIdentifier for the CRL's AKI")
        }
        let thisUpdate = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let nextUpdate = thisUpdate.addingTimeInterval(validity.timeInterval)
        let algorithm = try SignetWire.AlgorithmIdentifier(authority.key.signatureAlgorithm)
        var revoked: [RevokedCertificate] = []
        revoked.reserveCapacity(entries.count)
        for entry in entries {
            revoked.append(try RevokedCertificate(serialNumber: entry.serial, revocationDate: entry.revokedAt,
                                                  reason: entry.reason ?? .unspecified))
        }
        let tbs = try TBSCertList.derBytes(
            signature: algorithm, issuer: authority.certificate.subject, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
            revokedCertificates: revoked,
            authorityKeyIdentifier: Array(ski.keyIdentifier), crlNumber: number.bigEndianMagnitude)
        let signature = try authority.key.sign(message: tbs)
        let der = try CertificateList.assemble(tbsCertList: tbs, signatureAlgorithm: algorithm, signature: signature)
        guard authority.key.publicKey.isValidSignature(signature, for: tbs, signatureAlgorithm: authority.key.signatureAlgorithm) else {
            throw SignetError(.keyCustody, "The HSM returned a CRL signature that does not verify with \(authority.name)'s key")
        }
        return PublishedCRL(issuer: authority.name, number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, entries: entries.count, der: der)
    }
}
