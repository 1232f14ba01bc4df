import CPKCS11

/// How attribute values are laid out in a caller's buffer (PKCS#11 §4.2): CK_BBOOL is one octet,
/// CK_ULONG and arrays of it (CKA_ALLOWED_MECHANISMS) are in the host's size and byte order, byte
/// arrays are as they are, and strings (labels) are UTF-8 without a terminator.
public enum AttributeEncoding {
    /// CK_UNAVAILABLE_INFORMATION, `(CK_ULONG)-1` (a cast Swift does not import from the header).
    public static let unavailable = CK_ULONG.max

    public static func bool(_ value: Bool) -> [UInt8] {
        [value ? UInt8(CK_TRUE) : UInt8(CK_FALSE)]
    }

    public static func ulong(_ value: CK_ULONG) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    public static func ulongs(_ values: [CK_ULONG]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    public static func string(_ text: String) -> [UInt8] {
        Array(text.utf8)
    }

    /// A CK_ULONG read back from its encoding, or nil if the octets are not one.
    public static func readULong(_ bytes: [UInt8]) -> CK_ULONG? {
        guard bytes.count == MemoryLayout<CK_ULONG>.size else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) }
    }
}
