import Foundation
import SwiftASN1
import X509

/// The to-be-signed part of a version 2 CRL (RFC 5280 §5.1.2): the bytes Signet's HSM key signs.
/// Its DER encoder writes the entries into one buffer and then the result with its final size
/// reserved, so a million-entry CRL costs about two copies of its encoding and no re-shuffling.
///
/// ```
/// TBSCertList  ::=  SEQUENCE  {
///      version                 Version OPTIONAL,
///                                   -- if present, MUST be v2
///      signature               AlgorithmIdentifier,
///      issuer                  Name,
///      thisUpdate              Time,
///      nextUpdate              Time OPTIONAL,
///      revokedCertificates     SEQUENCE OF SEQUENCE  {
///           userCertificate         CertificateSerialNumber,
///           revocationDate          Time,
///           crlEntryExtensions      Extensions OPTIONAL
///                                    -- if present, version MUST be v2
///                                }  OPTIONAL,
///      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL
///                                    -- if present, version MUST be v2
///                                }
/// CRLNumber ::= INTEGER (0..MAX)             -- 2.5.29.20, RFC 5280 §5.2.3
/// ```
/// Always v2 with the two extensions RFC 5280 requires of conforming issuers: the authority key
/// identifier (§5.2.1) and the CRL number (§5.2.3), both non-critical.
public struct TBSCertList: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// Must equal `CertificateList.signatureAlgorithm` (RFC 5280 §5.1.2.2).
    public let signature: AlgorithmIdentifier
    public let issuer: DistinguishedName
    /// Whole seconds.
    public let thisUpdate: Date
    /// Whole seconds. Required of conforming CRL issuers (RFC 5280 §5.1.2.5), so required here.
    public let nextUpdate: Date
    /// Empty means the list is omitted, as RFC 5280 §5.1.2.6 requires.
    public let revokedCertificates: [RevokedCertificate]
    /// The keyIdentifier of the authority key identifier extension: the issuer's subject key identifier.
    public let authorityKeyIdentifier: [UInt8]
    /// The CRL number's big-endian magnitude, no leading zero octets (empty is zero).
    public let crlNumber: [UInt8]

    /// A v2 TBSCertList. Throws `.invariant` when nextUpdate precedes thisUpdate, the key identifier is
    /// empty or the CRL number needs more than 20 octets; times are truncated to whole seconds.
    public init<Number: Collection>(
        signature: AlgorithmIdentifier,
        issuer: DistinguishedName,
        thisUpdate: Date,
        nextUpdate: Date,
        revokedCertificates: [RevokedCertificate],
        authorityKeyIdentifier: [UInt8],
        crlNumber: Number
    ) throws where Number.Element == UInt8 {
        let thisUpdate = try UTCComponents(wholeSecondsOf: thisUpdate).date
        let nextUpdate = try UTCComponents(wholeSecondsOf: nextUpdate).date
        // RFC 5280 §5.1.2.5: nextUpdate is when the next CRL will be issued, so not before this one.
        guard nextUpdate >= thisUpdate else {
            throw WireError.invariant("Expected nextUpdate (\(nextUpdate)) not before thisUpdate (\(thisUpdate))")
        }
        // RFC 5280 §5.2.1: the authority key identifier MUST be included.
        guard !authorityKeyIdentifier.isEmpty else {
            throw WireError.invariant("Expected an authority key identifier (RFC 5280 §5.2.1), got none")
        }
        let number = DERPrimitives.magnitude(crlNumber)
        // RFC 5280 §5.2.3: CRL issuers MUST NOT use CRLNumber values longer than 20 octets.
        let encodedLength = number.count + (number.first.map { $0 & 0x80 != 0 ? 1 : 0 } ?? 1)
        guard encodedLength <= 20 else {
            throw WireError.invariant("Expected a CRL number of at most 20 octets (RFC 5280 §5.2.3), got \(encodedLength)")
        }
        self.signature = signature
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.revokedCertificates = revokedCertificates
        self.authorityKeyIdentifier = authorityKeyIdentifier
        self.crlNumber = number
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            // RFC 5280 §5.1.2.1: v2 is required when extensions are present, and they must be.
            let version = try Int(derEncoded: &nodes)
            guard version == 1 else {
                throw WireError.unsupported("Expected CRL version v2 (INTEGER 1), got \(version)")
            }
            let signature = try AlgorithmIdentifier(derEncoded: &nodes)
            let issuer = try DistinguishedName(derEncoded: DERPrimitives.next(&nodes, expecting: "issuer"))
            let thisUpdate = try Time(derEncoded: &nodes).date
            guard let nextUpdateNode = nodes.next(),
                nextUpdateNode.identifier == UTCTime.defaultIdentifier || nextUpdateNode.identifier == GeneralizedTime.defaultIdentifier
            else {
                throw WireError.unsupported("Expected nextUpdate (RFC 5280 §5.1.2.5), got none")
            }
            let nextUpdate = try Time(derEncoded: nextUpdateNode).date

            var revoked: [RevokedCertificate] = []
            var lookahead = nodes
            if let node = lookahead.next(), node.identifier == .sequence {
                nodes = lookahead
                revoked = try DER.sequence(of: RevokedCertificate.self, identifier: .sequence, rootNode: node)
            }

            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                try Extensions.parse(node)
            } ?? []
            var keyIdentifier: [UInt8]?
            var number: [UInt8]?
            for ext in extensions {
                switch ext.oid {
                case .X509ExtensionID.authorityKeyIdentifier:
                    keyIdentifier = try AuthorityKeyIdentifier(ext).keyIdentifier.map(Array.init)
                case .CRLExtensionID.cRLNumber:
                    number = Array(try ArraySlice<UInt8>(derEncoded: ext.value))
                default:
                    // RFC 5280 §5.2: a CRL with an unrecognized critical extension must not be used.
                    if ext.critical {
                        throw WireError.unsupported("Expected no unrecognized critical CRL extension, got \(ext.oid)")
                    }
                }
            }
            guard let keyIdentifier else {
                throw WireError.malformed("Expected an authority key identifier with a keyIdentifier (RFC 5280 §5.2.1), got none")
            }
            guard let number else {
                throw WireError.malformed("Expected a CRL number (RFC 5280 §5.2.3), got none")
            }
            return try TBSCertList(
                signature: signature, issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
                revokedCertificates: revoked, authorityKeyIdentifier: keyIdentifier, crlNumber: number)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        coder.serializeRawBytes(try encoded(identifier: identifier))
    }

    /// The DER encoding, built in a buffer reserved to its exact final size. (Shadows the generic
    /// `derBytes()`, which would copy the result through a `DER.Serializer` once more.)
    public func derBytes() throws -> [UInt8] {
        try encoded(identifier: Self.defaultIdentifier, entries: revokedCertificates)
    }

    /// The DER of a TBSCertList whose entries are produced one at a time (for instance read lazily
    /// from a store), so that a large CRL never exists as an array of `RevokedCertificate` values.
    /// Byte for byte what ``derBytes()`` writes for the same fields.
    public static func derBytes<Entries: Sequence>(
        signature: AlgorithmIdentifier,
        issuer: DistinguishedName,
        thisUpdate: Date,
        nextUpdate: Date,
        revokedCertificates: Entries,
        authorityKeyIdentifier: [UInt8],
        crlNumber: [UInt8]
    ) throws -> [UInt8] where Entries.Element == RevokedCertificate {
        let header = try TBSCertList(
            signature: signature, issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate, revokedCertificates: [],
            authorityKeyIdentifier: authorityKeyIdentifier, crlNumber: crlNumber)
        return try header.encoded(identifier: Self.defaultIdentifier, entries: revokedCertificates)
    }

    private func encoded(identifier: ASN1Identifier) throws -> [UInt8] {
        try encoded(identifier: identifier, entries: revokedCertificates)
    }

    private func encoded<Entries: Sequence>(identifier: ASN1Identifier, entries source: Entries) throws -> [UInt8]
    where Entries.Element == RevokedCertificate {
        var head = DER.Serializer()
        try head.serialize(1)  // v2
        try head.serialize(signature)
        try head.serialize(issuer)
        try head.serialize(Time(thisUpdate))
        try head.serialize(Time(nextUpdate))

        // Every entry is encoded once, into one buffer; the output is then written with its final
        // size reserved. At the peak this holds the entries' encoding twice and nothing else.
        var entries = DER.Serializer()
        for entry in source {
            try entries.serialize(entry)
        }
        // RFC 5280 §5.1.2.6: with no revoked certificates the list is absent, not empty.
        let entriesHeader = entries.serializedBytes.isEmpty
            ? [] : [0x30] + DERPrimitives.lengthOctets(entries.serializedBytes.count)

        var tail = DER.Serializer()
        try tail.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(Certificate.Extension(
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier[...]), critical: false))
                try coder.serialize(Certificate.Extension(
                    oid: .CRLExtensionID.cRLNumber, critical: false, value: try crlNumber[...].derBytes()[...]))
            }
        }

        let contentLength = head.serializedBytes.count + entriesHeader.count + entries.serializedBytes.count
            + tail.serializedBytes.count
        let header = DERPrimitives.constructedIdentifierOctets(identifier) + DERPrimitives.lengthOctets(contentLength)
        var output: [UInt8] = []
        output.reserveCapacity(header.count + contentLength)
        output += header
        output += head.serializedBytes
        output += entriesHeader
        output += entries.serializedBytes
        output += tail.serializedBytes
        return output
    }
}
