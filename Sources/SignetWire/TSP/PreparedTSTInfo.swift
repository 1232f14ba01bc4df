import Foundation
import SwiftASN1
import X509

/// The TSTInfo of one TSA with the fields every token shares (version, policy, accuracy, ordering,
/// tsa, extensions) encoded once, so a token only writes its imprint, serial, genTime and nonce.
///
/// It exists for the same reason as ``PreparedCMSSigner``: the TSA answers thousands of requests a
/// second with the same policy and name, and building a ``TSTInfo`` and serializing it through
/// swift-asn1 cost more per token than everything else Signet does around the HSM signature. The
/// octets are exactly those of ``TSTInfo/derBytes()`` for the same inputs (tested), which stays
/// the structured reference and the parser.
public struct PreparedTSTInfo: Sendable {
    /// `INTEGER 1` and the policy OID.
    private let head: [UInt8]
    /// Accuracy and ordering, as far as present.
    private let middle: [UInt8]
    /// `[0]` tsa and `[1]` extensions, as far as present.
    private let tail: [UInt8]
    /// The AlgorithmIdentifier encodings of the digests a request may name, by value.
    private let knownAlgorithms: [AlgorithmIdentifier: [UInt8]]

    /// Throws what ``TSTInfo``'s initializer throws for the same fields (a repeated extension).
    public init(
        policy: ASN1ObjectIdentifier, accuracy: Accuracy? = nil, ordering: Bool = false, tsa: GeneralName? = nil,
        extensions: [Certificate.Extension] = []
    ) throws {
        try Extensions.checkUnique(extensions)
        head = [0x02, 0x01, 0x01] + (try policy.derBytes())
        var middle = try accuracy?.derBytes() ?? []
        if ordering { middle += [0x01, 0x01, 0xFF] }  // DEFAULT FALSE is not written (X.690 §11.5)
        self.middle = middle
        var tail: [UInt8] = []
        if let tsa {
            var serializer = DER.Serializer()
            try serializer.serialize(tsa, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            tail = serializer.serializedBytes
        }
        var serializer = DER.Serializer()
        try Extensions.serialize(extensions, identifier: DERNodes.contextTag(1), into: &serializer)
        tail += serializer.serializedBytes
        self.tail = tail
        var known: [AlgorithmIdentifier: [UInt8]] = [:]
        for algorithm in [AlgorithmIdentifier.sha256, .sha384, .sha512] {
            var withoutParameters = algorithm
            withoutParameters.parameters = nil
            known[algorithm] = try algorithm.derBytes()
            known[withoutParameters] = try withoutParameters.derBytes()
        }
        self.knownAlgorithms = known
    }

    /// The DER TSTInfo for one token. `serialNumber` and `nonce` are big-endian magnitudes (leading
    /// zero octets are dropped); genTime is written to the millisecond as ``TSTInfo`` writes it.
    /// Throws `.invariant` for a zero serial or a date outside years 0000–9999.
    public func encode(messageImprint: MessageImprint, serialNumber: [UInt8], genTime: Date, nonce: [UInt8]?) throws -> [UInt8] {
        let serial = serialNumber.drop(while: { $0 == 0 })
        guard !serial.isEmpty else {
            throw WireError.invariant("Expected a positive TSTInfo serial number, got 0")
        }
        let algorithm = try knownAlgorithms[messageImprint.hashAlgorithm] ?? messageImprint.hashAlgorithm.derBytes()
        let hashed = messageImprint.hashedMessage
        let imprintLength = algorithm.count + DERPrimitives.encodedLength(hashed.count)
        let time = try Self.generalizedTime(genTime)
        let nonceMagnitude = nonce?.drop(while: { $0 == 0 })
        var length = head.count + DERPrimitives.encodedLength(imprintLength)
        length += Self.integerLength(serial) + 2 + time.count + middle.count + tail.count
        if let nonceMagnitude { length += Self.integerLength(nonceMagnitude) }

        var out: [UInt8] = []
        out.reserveCapacity(DERPrimitives.encodedLength(length))
        DERPrimitives.appendHeader(0x30, length, to: &out)
        out += head
        DERPrimitives.appendHeader(0x30, imprintLength, to: &out)
        out += algorithm
        DERPrimitives.appendHeader(0x04, hashed.count, to: &out)
        out += hashed
        Self.appendInteger(serial, to: &out)
        out.append(0x18)
        out.append(UInt8(time.count))
        out += time
        out += middle
        if let nonceMagnitude { Self.appendInteger(nonceMagnitude, to: &out) }
        out += tail
        return out
    }

    /// GeneralizedTime's content for `date` rounded to the millisecond: `YYYYMMDDHHMMSS[.fff]Z` with
    /// the fraction's trailing zeros, and a bare ".", dropped (RFC 3161 §2.4.2).
    static func generalizedTime(_ date: Date) throws -> [UInt8] {
        let (time, fraction) = try GeneralizedTime.millisecondParts(of: date)
        var out: [UInt8] = []
        out.reserveCapacity(19)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(time.year, 4)
        digits(time.month, 2)
        digits(time.day, 2)
        digits(time.hour, 2)
        digits(time.minute, 2)
        digits(time.second, 2)
        if !fraction.isEmpty {
            out.append(UInt8(ascii: "."))
            out += fraction
        }
        out.append(UInt8(ascii: "Z"))
        return out
    }

    /// The encoded size of a non-negative INTEGER with this magnitude (no leading zero octets).
    static func integerLength(_ magnitude: ArraySlice<UInt8>) -> Int {
        DERPrimitives.encodedLength(magnitude.count + (needsSignOctet(magnitude) ? 1 : 0))
    }

    /// A non-negative INTEGER: a 0x00 sign octet before a magnitude whose top bit is set, and
    /// `INTEGER 0` for an empty one.
    static func appendInteger(_ magnitude: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let signOctet = needsSignOctet(magnitude)
        DERPrimitives.appendHeader(0x02, magnitude.count + (signOctet ? 1 : 0), to: &out)
        if signOctet { out.append(0) }
        out += magnitude
    }

    private static func needsSignOctet(_ magnitude: ArraySlice<UInt8>) -> Bool {
        magnitude.first.map { $0 & 0x80 != 0 } ?? true
    }
}
