/// An RFC 7512 `pkcs11:` URI naming a token or an object in it, as shown in the inventory and the
/// compliance report so an operator can find the key with vendor tools (`p11tool`, `pkcs11-tool`).
public struct PKCS11URI: Hashable, Sendable, CustomStringConvertible {
    public var token: String
    public var object: String?
    public var id: [UInt8]?
    public var type: String?
    public var modulePath: String?

    public init(token: String, object: String? = nil, id: [UInt8]? = nil, type: String? = nil, modulePath: String? = nil) {
        self.token = token
        self.object = object
        self.id = id
        self.type = type
        self.modulePath = modulePath
    }

    public var description: String {
        var path = ["token=" + Self.escape(token)]
        if let object { path.append("object=" + Self.escape(object)) }
        if let id { path.append("id=" + id.map { "%" + ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()) }
        if let type { path.append("type=" + type) }
        var uri = "pkcs11:" + path.joined(separator: ";")
        if let modulePath { uri += "?module-path=" + Self.escape(modulePath, allowSlash: true) }
        return uri
    }

    /// Percent-encodes everything outside RFC 7512's unreserved set (§2.3, `pk11-pchar`).
    static func escape(_ text: String, allowSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(UnicodeScalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~:[]@!$'()*+,=&".contains(c) || (allowSlash && c == "/")) {
                out.append(c)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
