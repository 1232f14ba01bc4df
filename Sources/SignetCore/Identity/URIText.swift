/// Makes text from a token usable as a URI in a certificate: a SAN or AIA URI is an IA5String
/// (RFC 5280 §4.2.1.6), ASCII only, and must be a URI (RFC 3986). Claims can hold anything git allows
/// in a ref (non-ASCII, spaces), so every byte outside RFC 3986's unreserved and reserved characters
/// is percent-encoded (§2.1), `%` itself included: the URI names the ref exactly as the token did.
public enum URIText {
    public static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if allowed(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%"
                out += String(byte >> 4, radix: 16, uppercase: true)
                out += String(byte & 0x0f, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// RFC 3986 §2.2–2.3: ALPHA DIGIT - . _ ~ and : / ? # [ ] @ ! $ & ' ( ) * + , ; =
    static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return Array("-._~:/?#[]@!$&'()*+,;=".utf8).contains(byte)
        }
    }
}
