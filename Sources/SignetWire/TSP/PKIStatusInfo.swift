import SwiftASN1

/// The status of a time-stamp response (RFC 3161 §2.4.2): granted, or rejected with a reason.
///
/// ```
/// PKIStatusInfo ::= SEQUENCE {
///    status        PKIStatus,
///    statusString  PKIFreeText     OPTIONAL,
///    failInfo      PKIFailureInfo  OPTIONAL  }
///
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
public struct PKIStatusInfo: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let status: PKIStatus
    /// PKIFreeText; empty when absent.
    public let statusString: [String]
    public let failInfo: PKIFailureInfo?

    /// A status with optional free text (empty means absent) and failure bits.
    public init(status: PKIStatus, statusString: [String] = [], failInfo: PKIFailureInfo? = nil) {
        self.status = status
        self.statusString = statusString
        self.failInfo = failInfo
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let status = try PKIStatus(derEncoded: &nodes)
            var text: [String] = []
            var lookahead = nodes
            if let node = lookahead.next(), node.identifier == .sequence {
                nodes = lookahead
                text = try DER.sequence(of: ASN1UTF8String.self, identifier: .sequence, rootNode: node).map { String($0) }
            }
            let failInfo = try DER.optionalImplicitlyTagged(&nodes, tag: PKIFailureInfo.defaultIdentifier) as PKIFailureInfo?
            return PKIStatusInfo(status: status, statusString: text, failInfo: failInfo)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(status)
            if !statusString.isEmpty {
                try coder.serializeSequenceOf(statusString.map { ASN1UTF8String($0) })
            }
            if let failInfo { try coder.serialize(failInfo) }
        }
    }
}
