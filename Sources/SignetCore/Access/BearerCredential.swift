/// Reads the credential of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1).
public enum BearerCredential {
    /// The token, with the scheme matched without regard to case and the optional whitespace (space,
    /// tab) around the token dropped (RFC 9110 §11.6.2, §5.6.3); nil for any other scheme. Done on
    /// UTF-8 because it runs for every API request.
    public static func parse(authorization header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = "bearer ".utf8
        guard bytes.count >= scheme.count,
              zip(bytes, scheme).allSatisfy({ $1 == 0x20 ? $0 == 0x20 : $0 | 0x20 == $1 }) else { return nil }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var start = scheme.count, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
