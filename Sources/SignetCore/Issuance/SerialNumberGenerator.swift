import X509

/// Certificate serial numbers: 20 octets from the system CSRNG with the top bit cleared (positive)
/// and the first octet non-zero (so DER keeps all 20 octets). That is 158 bits of randomness, well
/// above the 64 bits CA/B Forum CS BR §7.1 asks for, and within RFC 5280 §4.1.2.2's 20-octet cap.
public struct SerialNumberGenerator: Sendable {
    public static let length = 20

    public init() {}

    public func next() -> Certificate.SerialNumber {
        // Three 64-bit draws (one getrandom call each) instead of one draw per octet.
        var rng = SystemRandomNumberGenerator()
        let words = [rng.next(), rng.next(), rng.next()] as [UInt64]
        var bytes = words.withUnsafeBytes { Array($0.prefix(Self.length)) }
        bytes[0] &= 0x7f
        if bytes[0] == 0 { bytes[0] = UInt8.random(in: 1...0x7f, using: &rng) }
        return Certificate.SerialNumber(bytes: bytes)
    }
}

extension Certificate.SerialNumber {
    /// Lowercase hex of the serial's DER integer content, as printed and accepted by Signet.
    public var hex: String { Array(bytes).hexString }
}
