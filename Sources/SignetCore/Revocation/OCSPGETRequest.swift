import Foundation

/// The request of an OCSP GET (`GET /ocsp/<request>`): RFC 6960 Appendix A.1, the URL-encoding of
/// the base64 of the DER request. Clients differ: Java and OpenSSL percent-encode '/', '+' and '=';
/// some send them raw; some send base64url (RFC 4648 §5).
public enum OCSPGETRequest {
    /// The longest encoded request accepted, twice the 16 KiB a POSTed request may have (base64 adds a
    /// third, percent-encoding a little more). Longer paths are refused before any decoding.
    public static let maximumEncodedLength = 32 * 1024

    /// The DER request in `encoded` (the path after `/ocsp/`), or nil when it is not base64 of
    /// something. One pass over the path's bytes: percent-decoding and the base64url alphabet folded together.
    public static func decode(_ encoded: some StringProtocol) -> [UInt8]? {
        guard encoded.utf8.count <= maximumEncodedLength else { return nil }
        var base64: [UInt8] = []
        base64.reserveCapacity(encoded.utf8.count + 3)
        var bytes = encoded.utf8.makeIterator()
        while let byte = bytes.next() {
            var c = byte
            if c == UInt8(ascii: "%") {
                guard let hi = bytes.next().flatMap(Hex.digitValue), let lo = bytes.next().flatMap(Hex.digitValue) else { return nil }
                c = hi << 4 | lo
            }
            switch c {
            case UInt8(ascii: "-"), UInt8(ascii: " "): base64.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): base64.append(UInt8(ascii: "/"))
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            default: base64.append(c)
            }
        }
        while base64.count % 4 != 0 { base64.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(base64)), !data.isEmpty else { return nil }
        return Array(data)
    }
}
