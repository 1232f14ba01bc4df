import SwiftASN1

/// How far genTime may be from UTC (RFC 3161 §2.4.2): genTime ± accuracy brackets the true time.
///
/// ```
/// Accuracy ::= SEQUENCE {
///       seconds        INTEGER           OPTIONAL,
///       millis     [0] INTEGER  (1..999) OPTIONAL,
///       micros     [1] INTEGER  (1..999) OPTIONAL  }
/// ```
/// An absent field counts as zero.
public struct Accuracy: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let seconds: Int?
    public let millis: Int?
    public let micros: Int?

    /// Throws `.invariant` for negative seconds, or millis or micros outside 1...999.
    public init(seconds: Int? = nil, millis: Int? = nil, micros: Int? = nil) throws {
        if let seconds, seconds < 0 {
            throw WireError.invariant("Expected accuracy seconds ≥ 0, got \(seconds)")
        }
        // RFC 3161 §2.4.2: millis and micros are INTEGER (1..999).
        for (name, value) in [("millis", millis), ("micros", micros)] {
            if let value, !(1...999).contains(value) {
                throw WireError.invariant("Expected accuracy \(name) in 1...999 (RFC 3161 §2.4.2), got \(value)")
            }
        }
        self.seconds = seconds
        self.millis = millis
        self.micros = micros
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let seconds = try DER.optionalImplicitlyTagged(&nodes, tag: .integer) as Int?
            let millis = try DER.optionalImplicitlyTagged(&nodes, tag: DERNodes.contextTag(0)) as Int?
            let micros = try DER.optionalImplicitlyTagged(&nodes, tag: DERNodes.contextTag(1)) as Int?
            do {
                return try Accuracy(seconds: seconds, millis: millis, micros: micros)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if let seconds { try coder.serialize(seconds) }
            if let millis { try millis.serialize(into: &coder, withIdentifier: DERNodes.contextTag(0)) }
            if let micros { try micros.serialize(into: &coder, withIdentifier: DERNodes.contextTag(1)) }
        }
    }
}
