import Foundation
import SwiftASN1
import X509

/// One entry of a CRL (RFC 5280 §5.1.2.6) with the two entry extensions Signet writes: the
/// revocation reason and, optionally, the date the key is known or suspected to have been unsafe.
///
/// ```
/// revokedCertificates     SEQUENCE OF SEQUENCE  {
///      userCertificate         CertificateSerialNumber,
///      revocationDate          Time,
///      crlEntryExtensions      Extensions OPTIONAL
///                               -- if present, version MUST be v2
///                           }  OPTIONAL,
///
/// CertificateSerialNumber  ::=  INTEGER
/// reasonCode ::= { CRLReason }               -- 2.5.29.21, RFC 5280 §5.3.1
/// InvalidityDate ::=  GeneralizedTime         -- 2.5.29.24, RFC 5280 §5.3.2
/// ```
/// Dates are kept to whole seconds, the precision RFC 5280 §5.1.2.6 allows.
public struct RevokedCertificate: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The revoked certificate's serial number: big-endian magnitude, no leading zero octets.
    public let serialNumber: [UInt8]
    public let revocationDate: Date
    /// `.unspecified` means no reasonCode extension: RFC 5280 §5.3.1 asks issuers not to write
    /// the unspecified reason but to omit the extension.
    public let reason: CRLReason
    public let invalidityDate: Date?

    /// - Parameter serialNumber: the serial's big-endian bytes; leading zero octets (such as the
    ///   sign octet of a DER INTEGER) are dropped.
    public init<Bytes: Collection>(
        serialNumber: Bytes, revocationDate: Date, reason: CRLReason = .unspecified, invalidityDate: Date? = nil
    ) throws where Bytes.Element == UInt8 {
        let magnitude = DERPrimitives.magnitude(serialNumber)
        // RFC 5280 §4.1.2.2: serial numbers are positive integers.
        guard !magnitude.isEmpty else {
            throw WireError.invariant("Expected a positive certificate serial number (RFC 5280 §4.1.2.2), got 0")
        }
        self.serialNumber = magnitude
        self.revocationDate = try UTCComponents(wholeSecondsOf: revocationDate).date
        self.reason = reason
        self.invalidityDate = try invalidityDate.map { try UTCComponents(wholeSecondsOf: $0).date }
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            let revocationDate = try Time(derEncoded: &nodes).date
            var reason = CRLReason.unspecified
            var invalidityDate: Date?
            if let extensionsNode = nodes.next() {
                for ext in try Extensions.parse(extensionsNode) {
                    switch ext.oid {
                    case .CRLExtensionID.reasonCode:
                        reason = try CRLReason(derEncoded: ext.value)
                    case .CRLExtensionID.invalidityDate:
                        invalidityDate = Date(try GeneralizedTime(derEncoded: ext.value))
                    default:
                        // RFC 5280 §5.3: a CRL with an unrecognized critical entry extension must not be
                        // used; this includes certificateIssuer (indirect CRLs), which Signet never writes.
                        if ext.critical {
                            throw WireError.unsupported("Expected no unrecognized critical CRL entry extension, got \(ext.oid)")
                        }
                    }
                }
            }
            return try RevokedCertificate(
                serialNumber: serial, revocationDate: revocationDate, reason: reason, invalidityDate: invalidityDate)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(serialNumber[...])
            try coder.serialize(Time(revocationDate))
            guard reason != .unspecified || invalidityDate != nil else { return }
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                if reason != .unspecified {
                    try coder.serialize(Certificate.Extension(
                        oid: .CRLExtensionID.reasonCode, critical: false, value: [0x0A, 0x01, UInt8(reason.rawValue)]))
                }
                if let invalidityDate {
                    try coder.serialize(Certificate.Extension(
                        oid: .CRLExtensionID.invalidityDate, critical: false,
                        value: try GeneralizedTime(wholeSecondsOf: invalidityDate).derBytes()[...]))
                }
            }
        }
    }
}
