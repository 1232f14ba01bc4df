import SwiftASN1

/// Byte-level helpers the productions in this module share: INTEGER magnitudes, DER headers for
/// encoders that write large bodies without re-buffering, and a bounds-checked TLV reader for
/// looking inside a TBS structure without parsing all of it.
enum DERPrimitives {
    /// A non-negative integer's big-endian magnitude without leading zero octets: the form swift-asn1
    /// reads and writes for `ArraySlice<UInt8>` INTEGERs (a 0x00 sign octet is added on output).
    static func magnitude<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        Array(bytes.drop(while: { $0 == 0 }))
    }

    /// The next node of a SEQUENCE, or an error naming the field that is missing.
    static func next(_ nodes: inout ASN1NodeCollection.Iterator, expecting field: String) throws -> ASN1Node {
        guard let node = nodes.next() else {
            throw WireError.malformed("Expected \(field), got end of data")
        }
        return node
    }

    /// The identifier octets swift-asn1 writes for `identifier` when constructed.
    static func constructedIdentifierOctets(_ identifier: ASN1Identifier) -> [UInt8] {
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: identifier) { _ in }
        return Array(serializer.serializedBytes.dropLast())  // the placeholder zero length
    }

    /// One TLV from a single-octet identifier and already-encoded content parts, written once into a
    /// buffer of its exact size. Building outer layers by concatenation like this costs one copy per
    /// layer, where nested `appendConstructedNode` calls shift the content for every long length.
    static func tlv(_ identifier: UInt8, _ parts: [UInt8]...) -> [UInt8] {
        let length = parts.reduce(0) { $0 + $1.count }
        var out: [UInt8] = []
        out.reserveCapacity(encodedLength(length))
        appendHeader(identifier, length, to: &out)
        for part in parts { out += part }
        return out
    }

    /// A DER SET OF from encoded elements: sorted by their encodings (X.690 §11.6).
    static func setOf(_ identifier: UInt8, _ elements: [[UInt8]]) -> [UInt8] {
        let sorted = elements.sorted { $0.lexicographicallyPrecedes($1) }
        return tlv(identifier, sorted.reduce(into: [UInt8]()) { $0 += $1 })
    }

    /// The size of a TLV with a single-octet identifier and `contentLength` octets of content.
    static func encodedLength(_ contentLength: Int) -> Int {
        2 + longFormOctets(contentLength) + contentLength
    }

    /// Appends the identifier and length octets of a TLV whose content is `length` octets long.
    static func appendHeader(_ identifier: UInt8, _ length: Int, to out: inout [UInt8]) {
        out.append(identifier)
        appendLength(length, to: &out)
    }

    /// Appends the definite-length octets for `length` (X.690 §8.1.3, in DER's shortest form, §10.1).
    private static func appendLength(_ length: Int, to out: inout [UInt8]) {
        precondition(length >= 0)
        let count = longFormOctets(length)
        guard count > 0 else { return out.append(UInt8(length)) }
        out.append(0x80 | UInt8(count))
        for index in stride(from: count - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
    }

    /// How many octets follow the first length octet: none in the short form (length < 128).
    private static func longFormOctets(_ length: Int) -> Int {
        length < 0x80 ? 0 : (Int.bitWidth - length.leadingZeroBitCount + 7) / 8
    }

    /// The definite-length octets for `length` (X.690 §8.1.3, in DER's shortest form, §10.1).
    static func lengthOctets(_ length: Int) -> [UInt8] {
        var octets: [UInt8] = []
        appendLength(length, to: &octets)
        return octets
    }

    /// The range of the content octets of the TLV starting at `offset`, and the TLV's end. Only
    /// single-octet identifiers and definite lengths of at most four octets are accepted.
    static func readTLV(_ bytes: ArraySlice<UInt8>, at offset: Int) throws -> (identifier: UInt8, content: Range<Int>) {
        guard offset >= bytes.startIndex, offset + 2 <= bytes.endIndex else {
            throw WireError.malformed("Expected a DER header at offset \(offset), got end of data")
        }
        let identifier = bytes[offset]
        guard identifier & 0x1F != 0x1F else {
            throw WireError.malformed("Expected a single-octet identifier, got a multi-octet tag at offset \(offset)")
        }
        let first = bytes[offset + 1]
        var index = offset + 2
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard (1...4).contains(count), index + count <= bytes.endIndex else {
                throw WireError.malformed("Expected a definite length of 1 to 4 octets, got length octet \(first)")
            }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length <= bytes.endIndex - index else {
            throw WireError.malformed("Expected \(length) content octets at offset \(index), got \(bytes.endIndex - index)")
        }
        return (identifier, index..<(index + length))
    }
}
