import CPKCS11
@testable import SignetPKCS11
import Testing

/// Calls a ``Cryptoki`` the way a C consumer does (pointers, two-call lengths), for the in-process tests.
struct ModuleClient {
    let cryptoki: Cryptoki

    init(_ environment: [String: String]) {
        cryptoki = Cryptoki(environment: { environment })
    }

    func openSession(flags: CK_FLAGS = CK_FLAGS(CKF_SERIAL_SESSION)) -> (CK_RV, CK_SESSION_HANDLE) {
        var session: CK_SESSION_HANDLE = 0
        let rv = cryptoki.openSession(Cryptoki.slotID, flags, &session)
        return (rv, session)
    }

    /// Every object matching `spec`, fetched one at a time.
    func find(_ session: CK_SESSION_HANDLE, _ spec: [(CK_ULONG, [UInt8])]) -> [CK_OBJECT_HANDLE] {
        let buffers = spec.map { _, value -> UnsafeMutableRawPointer in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(value.count, 1), alignment: 8)
            value.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: $0.count) } }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var template = zip(spec, buffers).map { CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE($0.0), pValue: $1, ulValueLen: CK_ULONG($0.1.count)) }
        guard cryptoki.findObjectsInit(session, &template, CK_ULONG(template.count)) == CK_RV(CKR_OK) else { return [] }
        var handles: [CK_OBJECT_HANDLE] = []
        var handle: CK_OBJECT_HANDLE = 0, count: CK_ULONG = 0
        while cryptoki.findObjects(session, &handle, 1, &count) == CK_RV(CKR_OK), count == 1 { handles.append(handle) }
        _ = cryptoki.findObjectsFinal(session)
        return handles
    }

    /// One attribute's value, asked for with the two-call convention.
    func attribute(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: CK_ULONG) -> (CK_RV, [UInt8]?) {
        var query = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: nil, ulValueLen: 0)
        let rv = cryptoki.getAttributeValue(session, object, &query, 1)
        guard rv == CK_RV(CKR_OK) else { return (rv, nil) }
        var value = [UInt8](repeating: 0, count: Int(query.ulValueLen))
        let second = value.withUnsafeMutableBytes { buffer -> CK_RV in
            var read = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: buffer.baseAddress, ulValueLen: CK_ULONG(buffer.count))
            return cryptoki.getAttributeValue(session, object, &read, 1)
        }
        return (second, value)
    }

    /// C_SignInit then C_Sign with a length query first.
    func sign(_ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, mechanism type: CK_ULONG, data: [UInt8]) -> (CK_RV, [UInt8]) {
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(type), pParameter: nil, ulParameterLen: 0)
        let initRV = cryptoki.signInit(session, &mechanism, key)
        guard initRV == CK_RV(CKR_OK) else { return (initRV, []) }
        var input = data
        var length: CK_ULONG = 0
        let query = cryptoki.sign(session, &input, CK_ULONG(input.count), nil, &length)
        guard query == CK_RV(CKR_OK) else { return (query, []) }
        var signature = [UInt8](repeating: 0, count: Int(length))
        let rv = cryptoki.sign(session, &input, CK_ULONG(input.count), &signature, &length)
        return (rv, Array(signature.prefix(Int(length))))
    }
}

/// `#expect` on return values with their names in the message.
func expectRV(_ actual: CK_RV, _ expected: CK_ULONG, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ReturnValueName.name(actual) == ReturnValueName.name(CK_RV(expected)), "\(comment)", sourceLocation: sourceLocation)
}
