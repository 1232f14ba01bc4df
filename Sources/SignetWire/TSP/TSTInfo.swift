import Foundation
import SwiftASN1
import X509

/// What a TSA asserts (RFC 3161 §2.4.2): that the message imprint existed at genTime. It is the
/// eContent of the token's SignedData (eContentType id-ct-TSTInfo).
///
/// ```
/// TSTInfo ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    policy                       TSAPolicyId,
///    messageImprint               MessageImprint,
///      -- MUST have the same value as the similar field in
///      -- TimeStampReq
///    serialNumber                 INTEGER,
///     -- Time-Stamping users MUST be ready to accommodate integers
///     -- up to 160 bits.
///    genTime                      GeneralizedTime,
///    accuracy                     Accuracy                 OPTIONAL,
///    ordering                     BOOLEAN             DEFAULT FALSE,
///    nonce                        INTEGER                  OPTIONAL,
///      -- MUST be present if the similar field was present
///      -- in TimeStampReq.  In that case it MUST have the same value.
///    tsa                          [0] GeneralName          OPTIONAL,
///    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
/// ```
/// genTime is written to the millisecond, with the fraction's trailing zeros (and a bare ".")
/// dropped as §2.4.2 requires. tsa is a tagged CHOICE and so explicitly tagged.
public struct TSTInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let policy: ASN1ObjectIdentifier
    public let messageImprint: MessageImprint
    /// Big-endian magnitude, no leading zero octets.
    public let serialNumber: [UInt8]
    /// Rounded to the millisecond.
    public let genTime: Date
    public let accuracy: Accuracy?
    public let ordering: Bool
    /// Big-endian magnitude, no leading zero octets.
    public let nonce: [UInt8]?
    public let tsa: GeneralName?
    /// Empty when absent.
    public let extensions: [Certificate.Extension]

    /// Throws `.invariant` for a zero serial or a repeated extension; genTime is rounded to the
    /// millisecond and leading zero octets of the serial and nonce are dropped.
    public init<Serial: Collection>(
        policy: ASN1ObjectIdentifier, messageImprint: MessageImprint, serialNumber: Serial, genTime: Date,
        accuracy: Accuracy? = nil, ordering: Bool = false, nonce: [UInt8]? = nil, tsa: GeneralName? = nil,
        extensions: [Certificate.Extension] = []
    ) throws where Serial.Element == UInt8 {
        let serial = DERPrimitives.magnitude(serialNumber)
        // RFC 3161 §2.4.2: serialNumber is a positive integer unique per TSA; users handle 160 bits.
        guard !serial.isEmpty else {
            throw WireError.invariant("Expected a positive TSTInfo serial number, got 0")
        }
        try Extensions.checkUnique(extensions)
        self.policy = policy
        self.messageImprint = messageImprint
        self.serialNumber = serial
        self.genTime = Date(try GeneralizedTime(millisecondsOf: genTime))
        self.accuracy = accuracy
        self.ordering = ordering
        self.nonce = nonce.map { DERPrimitives.magnitude($0) }
        self.tsa = tsa
        self.extensions = extensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try Int(derEncoded: &nodes)
            guard version == 1 else {
                throw WireError.unsupported("Expected TSTInfo version 1 (RFC 3161 §2.4.2), got \(version)")
            }
            let policy = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let imprint = try MessageImprint(derEncoded: &nodes)
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            let genTime = try GeneralizedTime(derEncoded: &nodes)
            let accuracy = try DER.optionalImplicitlyTagged(&nodes, tag: .sequence) as Accuracy?
            var ordering = false
            var lookahead = nodes
            if let node = lookahead.next(), node.identifier == .boolean {
                ordering = try Bool(derEncoded: node)  // an explicit FALSE, though not DER, is tolerated
                nodes = lookahead
            }
            let nonce = try DER.optionalImplicitlyTagged(&nodes, tag: .integer) as ArraySlice<UInt8>?
            let tsa = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try GeneralName(derEncoded: $0)
            }
            let extensions = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try Extensions.parse($0, identifier: DERNodes.contextTag(1))
            }
            do {
                return try TSTInfo(
                    policy: policy, messageImprint: imprint, serialNumber: serial, genTime: Date(genTime),
                    accuracy: accuracy, ordering: ordering, nonce: nonce.map(Array.init), tsa: tsa,
                    extensions: extensions ?? [])
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(1)
            try coder.serialize(policy)
            try coder.serialize(messageImprint)
            try coder.serialize(serialNumber[...])
            try coder.serialize(GeneralizedTime(millisecondsOf: genTime))
            if let accuracy { try coder.serialize(accuracy) }
            if ordering { try coder.serialize(true) }  // DEFAULT FALSE is not written (X.690 §11.5)
            if let nonce { try coder.serialize(nonce[...]) }
            if let tsa { try coder.serialize(tsa, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) }
            try Extensions.serialize(extensions, identifier: DERNodes.contextTag(1), into: &coder)
        }
    }
}
