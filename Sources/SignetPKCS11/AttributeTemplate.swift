import CPKCS11

/// The caller's CK_ATTRIBUTE arrays, the one place the module reads and writes attribute memory.
///
/// Everything here is bounded by what the caller declares and by the values the token holds: a
/// template value is read only when its declared length equals a value it could match, and a value is
/// written only when the declared buffer can hold it, so a hostile template (huge lengths, null
/// pointers) gets a return value, never a trap.
public enum AttributeTemplate {
    /// More attributes than any template a consumer builds; a larger count is a corrupt argument.
    public static let maximumCount: CK_ULONG = 4096

    /// One attribute of a C_FindObjectsInit template: its type, the length the caller declared, and
    /// where the value is (nil only when the length is 0).
    public struct Criterion {
        public let type: CK_ATTRIBUTE_TYPE
        public let length: CK_ULONG
        public let value: UnsafeRawPointer?
    }

    /// The criteria of a search template, refused (CKR_ARGUMENTS_BAD) when the pointer and count
    /// disagree or an entry declares a value it does not point to.
    public static func criteria(_ template: UnsafePointer<CK_ATTRIBUTE>?, count: CK_ULONG) throws(CryptokiError) -> [Criterion] {
        guard count <= maximumCount else { throw .argumentsBad }
        guard count > 0 else { return [] }
        guard let template else { throw .argumentsBad }
        var criteria: [Criterion] = []
        criteria.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let attribute = template[index]
            if attribute.ulValueLen > 0 && attribute.pValue == nil { throw .argumentsBad }
            criteria.append(Criterion(type: attribute.type, length: attribute.ulValueLen, value: UnsafeRawPointer(attribute.pValue)))
        }
        return criteria
    }

    /// Whether `object` has every criterion's attribute with exactly that value (PKCS#11 §5.7
    /// C_FindObjectsInit). A sensitive attribute never matches: its value is not known here.
    public static func matches(_ object: TokenObject, _ criteria: [Criterion]) -> Bool {
        criteria.allSatisfy { criterion in
            guard case .value(let value) = object.lookup(criterion.type), CK_ULONG(value.count) == criterion.length else { return false }
            guard !value.isEmpty, let pointer = criterion.value else { return value.isEmpty }
            return value.elementsEqual(UnsafeRawBufferPointer(start: pointer, count: value.count))
        }
    }

    /// Answers a C_GetAttributeValue template from `object`, entry by entry as PKCS#11 §5.7 lays down:
    /// a sensitive attribute gets AttributeEncoding.unavailable and CKR_ATTRIBUTE_SENSITIVE, an absent one
    /// AttributeEncoding.unavailable and CKR_ATTRIBUTE_TYPE_INVALID, a null buffer the value's length, a
    /// buffer too small AttributeEncoding.unavailable and CKR_BUFFER_TOO_SMALL, otherwise the value. Every
    /// entry is answered; the return value is the last problem found, or CKR_OK.
    public static func fill(_ template: UnsafeMutablePointer<CK_ATTRIBUTE>?, count: CK_ULONG, from object: TokenObject) -> CK_RV {
        guard count <= maximumCount else { return CK_RV(CKR_ARGUMENTS_BAD) }
        guard count > 0 else { return CK_RV(CKR_OK) }
        guard let template else { return CK_RV(CKR_ARGUMENTS_BAD) }
        var result = CK_RV(CKR_OK)
        for index in 0..<Int(count) {
            switch object.lookup(template[index].type) {
            case .sensitive:
                template[index].ulValueLen = AttributeEncoding.unavailable
                result = CK_RV(CKR_ATTRIBUTE_SENSITIVE)
            case .absent:
                template[index].ulValueLen = AttributeEncoding.unavailable
                result = CK_RV(CKR_ATTRIBUTE_TYPE_INVALID)
            case .value(let value):
                guard let buffer = template[index].pValue else {
                    template[index].ulValueLen = CK_ULONG(value.count)
                    continue
                }
                guard template[index].ulValueLen >= CK_ULONG(value.count) else {
                    template[index].ulValueLen = AttributeEncoding.unavailable
                    result = CK_RV(CKR_BUFFER_TOO_SMALL)
                    continue
                }
                value.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
                }
                template[index].ulValueLen = CK_ULONG(value.count)
            }
        }
        return result
    }
}
