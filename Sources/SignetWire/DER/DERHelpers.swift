import SwiftASN1

extension DERSerializable {
    /// This value's DER encoding.
    public func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}

/// Small helpers over swift-asn1 for the productions Signet reads.
public enum DERNodes {
    /// The children of a constructed node with the expected identifier.
    public static func children(of node: ASN1Node, identifier: ASN1Identifier) throws -> [ASN1Node] {
        guard node.identifier == identifier, case .constructed(let nodes) = node.content else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        return Array(nodes)
    }

    public static func contextTag(_ number: UInt, constructed: Bool = true) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific)
    }
}
