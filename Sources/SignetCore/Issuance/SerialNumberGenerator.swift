import X509

/// Certificate serial numbers: 20 octets from the system CSRNG with the top bit cleared (positive)
/// and the first octet non-zero (so DER keeps all 20 octets). That is 158 bits of randomness, well
/// above the 64 bits CA/B Forum CS BR §7.1 asks for, and within RFC 5280 §4.1.2.2's 20-octet cap.
public struct SerialNumberGenerator: Sendable {
    public static let length = 20

    public init() {}

    public func next() -> Certificate.SerialNumber {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<Self.length).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        bytes[0] &= 0x7f
        if bytes[0] == 0 { bytes[0] = UInt8.random(in: 1...0x7f, using: &rng) }
        return Certificate.SerialNumber(bytes: bytes)
    }
}

extension Certificate.SerialNumber {
    /// Lowercase hex of the serial's DER integer content, as printed and accepted by Signet.
    public var hex: String { Array(bytes).hexString }
}
