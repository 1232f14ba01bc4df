/// Lowercase hex without separators: how Signet prints and accepts serials and key ids.
extension Sequence where Element == UInt8 {
    public var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(Hex.asciiDigits[Int(byte >> 4)])
            out.append(Hex.asciiDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Hex parsing for serials and key ids given on the command line or in URLs.
public enum Hex {
    static let asciiDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Parses lowercase or uppercase hex without separators; nil for anything else.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let hi = digitValue(chars[index]), let lo = digitValue(chars[index + 1]) else { return nil }
            out.append(hi << 4 | lo)
            index += 2
        }
        return out
    }

    /// A certificate serial as a caller gives it (`signet show`, `/api/v1/certificates/<serial>`,
    /// revocation), normalised to the lowercase form Signet stores: hex of 1 to 20 octets (RFC 5280
    /// §4.1.2.2). The one check every entry point shares.
    ///
    /// People paste serials in the forms their tools show: upper or lower case, octets separated by
    /// colons (`openssl x509 -serial`, `-text`, browsers), and with the leading zero nibble dropped
    /// (a browser shows `0a1b…` as `A1B…`). All of those name the same serial; a colon may only
    /// separate two octets.
    public static func serial(_ text: some StringProtocol) throws -> String {
        let refusal = SignetError.malformed(
            "Expected a serial of 1-20 octets in hex, optionally with colons between octets (as openssl and browsers show it), got \(SignetError.quote(text))")
        // Bounded before any work: 20 octets with 19 colons.
        guard !text.isEmpty, text.utf8.count <= 59 else { throw refusal }
        var digits = ""
        if text.contains(":") {
            let groups = text.split(separator: ":", omittingEmptySubsequences: false)
            guard groups.allSatisfy({ $0.utf8.count == 2 || ($0.utf8.count == 1 && $0.startIndex == text.startIndex) }) else { throw refusal }
            digits = groups.joined()
        } else {
            digits = String(text)
        }
        if digits.utf8.count % 2 == 1 { digits = "0" + digits }
        guard digits.utf8.count <= 40, decode(digits) != nil else { throw refusal }
        return digits.lowercased()
    }

    /// The value of one ASCII hex digit (either case), or nil.
    public static func digitValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Int64 {
    /// The value's big-endian octets without leading zeros (one zero octet for 0): the magnitude of
    /// a positive DER INTEGER such as a CRL number or a TSA serial.
    public var bigEndianMagnitude: [UInt8] {
        var bytes = withUnsafeBytes(of: self.bigEndian) { Array($0) }
        while bytes.count > 1 && bytes[0] == 0 { bytes.removeFirst() }
        return bytes
    }
}
