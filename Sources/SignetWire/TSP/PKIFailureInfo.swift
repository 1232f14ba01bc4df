import SwiftASN1

/// Why a TSA rejected a request (RFC 3161 §2.4.2): the failure answered in the protocol, not as a
/// bare HTTP error.
///
/// ```
/// PKIFailureInfo ::= BIT STRING {
///     badAlg               (0),
///       -- unrecognized or unsupported Algorithm Identifier
///     badRequest           (2),
///       -- transaction not permitted or supported
///     badDataFormat        (5),
///       -- the data submitted has the wrong format
///     timeNotAvailable    (14),
///       -- the TSA's time source is not available
///     unacceptedPolicy    (15),
///       -- the requested TSA policy is not supported by the TSA
///     unacceptedExtension (16),
///       -- the requested extension is not supported by the TSA
///     addInfoNotAvailable (17)
///       -- the additional information requested could not be understood
///       -- or is not available
///     systemFailure       (25)
///       -- the request cannot be handled due to system failure  }
/// ```
/// Bit n of the BIT STRING is bit `1 << n` of `rawValue`. A named bit list is written in DER with
/// its trailing zero bits removed (X.690 §11.2.2), so the unused-bits count varies.
public struct PKIFailureInfo: OptionSet, Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .bitString }

    public let rawValue: UInt32
    /// Named bit n is `1 << n`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let badAlg = PKIFailureInfo(rawValue: 1 << 0)
    public static let badRequest = PKIFailureInfo(rawValue: 1 << 2)
    public static let badDataFormat = PKIFailureInfo(rawValue: 1 << 5)
    public static let timeNotAvailable = PKIFailureInfo(rawValue: 1 << 14)
    public static let unacceptedPolicy = PKIFailureInfo(rawValue: 1 << 15)
    public static let unacceptedExtension = PKIFailureInfo(rawValue: 1 << 16)
    public static let addInfoNotAvailable = PKIFailureInfo(rawValue: 1 << 17)
    public static let systemFailure = PKIFailureInfo(rawValue: 1 << 25)

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let bits = try ASN1BitString(derEncoded: rootNode, withIdentifier: identifier)
        var value: UInt32 = 0
        for (octetIndex, octet) in bits.bytes.enumerated() {
            for bit in 0..<8 where octet & (0x80 >> bit) != 0 {
                let number = octetIndex * 8 + bit
                guard number < 32 else {
                    throw WireError.malformed("Expected PKIFailureInfo bits 0–31, got bit \(number)")
                }
                value |= 1 << number
            }
        }
        self.rawValue = value
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        guard rawValue != 0 else {
            return try ASN1BitString(bytes: []).serialize(into: &coder, withIdentifier: identifier)
        }
        let highest = 31 - rawValue.leadingZeroBitCount
        var octets = [UInt8](repeating: 0, count: highest / 8 + 1)
        for number in 0...highest where rawValue & (1 << number) != 0 {
            octets[number / 8] |= 0x80 >> (number % 8)
        }
        try ASN1BitString(bytes: octets[...], paddingBits: 7 - highest % 8).serialize(into: &coder, withIdentifier: identifier)
    }
}
