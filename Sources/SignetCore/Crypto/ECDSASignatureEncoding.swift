/// PKCS#11 returns an ECDSA signature as r ‖ s (fixed-width, big-endian; PKCS#11 §2.3.1) and X.509,
/// CMS and OCSP carry it as DER `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279
/// §2.2.3). The conversion is on every signature's path, so it is done here directly rather than by
/// parsing into a library signature object and serializing it again.
public enum ECDSASignatureEncoding {
    /// The DER Ecdsa-Sig-Value of a raw r ‖ s signature; `nil` if `raw` is empty or of odd length.
    public static func der(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard !raw.isEmpty, raw.count % 2 == 0, raw.count <= 2 * 66 else { return nil }
        let half = raw.count / 2
        let r = integer(raw[..<half]), s = integer(raw[half...])
        let length = r.count + s.count  // at most 2 × (2 + 67): one length octet, long form from 0x80
        return (length < 0x80 ? [0x30, UInt8(length)] : [0x30, 0x81, UInt8(length)]) + r + s
    }

    /// A DER INTEGER for a non-negative big-endian magnitude: leading zero octets dropped, one 0x00
    /// added when the top bit is set (X.690 §8.3), zero written as 02 01 00.
    static func integer(_ magnitude: ArraySlice<UInt8>) -> [UInt8] {
        var bytes = Array(magnitude.drop(while: { $0 == 0 }))
        if bytes.isEmpty || bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return [0x02, UInt8(bytes.count)] + bytes
    }
}
