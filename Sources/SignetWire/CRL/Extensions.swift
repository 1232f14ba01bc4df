import SwiftASN1
import X509

/// Reading and writing the `Extensions` production wherever it appears (CRLs, OCSP, RFC 3161),
/// as `[Certificate.Extension]`: swift-certificates' `Certificate.Extensions` is not DER codable
/// on its own.
///
/// ```
/// Extensions  ::=  SEQUENCE SIZE (1..MAX) OF Extension
///
/// Extension  ::=  SEQUENCE  {
///      extnID      OBJECT IDENTIFIER,
///      critical    BOOLEAN DEFAULT FALSE,
///      extnValue   OCTET STRING }
/// ```
enum Extensions {
    /// The extensions in `node`, which must carry `identifier`; each OID at most once (RFC 5280 §4.2).
    static func parse(_ node: ASN1Node, identifier: ASN1Identifier = .sequence) throws -> [Certificate.Extension] {
        let extensions = try DER.sequence(of: Certificate.Extension.self, identifier: identifier, rootNode: node)
        var seen = Set<ASN1ObjectIdentifier>()
        for ext in extensions where !seen.insert(ext.oid).inserted {
            throw WireError.malformed("Expected each extension once (RFC 5280 §4.2), got \(ext.oid) twice")
        }
        return extensions
    }

    /// Writes `extensions` as a SEQUENCE OF with `identifier`; nothing when empty, since the
    /// production needs at least one element and every use of it is OPTIONAL.
    static func serialize(
        _ extensions: [Certificate.Extension], identifier: ASN1Identifier = .sequence, into coder: inout DER.Serializer
    ) throws {
        guard !extensions.isEmpty else { return }
        try coder.serializeSequenceOf(extensions, identifier: identifier)
    }

    /// Throws when `extensions` repeats an OID (RFC 5280 §4.2).
    static func checkUnique(_ extensions: [Certificate.Extension]) throws {
        var seen = Set<ASN1ObjectIdentifier>()
        for ext in extensions where !seen.insert(ext.oid).inserted {
            throw WireError.invariant("Expected each extension once (RFC 5280 §4.2), got \(ext.oid) twice")
        }
    }
}
