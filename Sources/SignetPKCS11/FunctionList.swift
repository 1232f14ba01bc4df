import CPKCS11

/// The CK_FUNCTION_LIST C callers get from C_GetFunctionList: every entry set (a consumer calls any of
/// them without checking), the supported ones forwarding to ``Cryptoki/shared``, the rest answering
/// CKR_FUNCTION_NOT_SUPPORTED (CKR_FUNCTION_NOT_PARALLEL for the two legacy parallel-session calls,
/// as PKCS#11 §5.16 requires). Allocated once and never freed: callers keep the pointer.
public enum FunctionList {
    nonisolated(unsafe) public static let pointer: UnsafeMutablePointer<CK_FUNCTION_LIST> = {
        let pointer = UnsafeMutablePointer<CK_FUNCTION_LIST>.allocate(capacity: 1)
        pointer.initialize(to: make())
        return pointer
    }()

    /// C_GetFunctionList.
    public static func get(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV {
        guard let list else { return CK_RV(CKR_ARGUMENTS_BAD) }
        list.pointee = pointer
        return CK_RV(CKR_OK)
    }

    static let notSupported = CK_RV(CKR_FUNCTION_NOT_SUPPORTED)

    static func make() -> CK_FUNCTION_LIST {
        var list = CK_FUNCTION_LIST()
        list.version = CK_VERSION(major: 2, minor: 40)
        list.C_Initialize = { Cryptoki.shared.initialize($0) }
        list.C_Finalize = { Cryptoki.shared.finalize($0) }
        list.C_GetInfo = { Cryptoki.shared.getInfo($0) }
        list.C_GetFunctionList = { FunctionList.get($0) }
        list.C_GetSlotList = { Cryptoki.shared.getSlotList($0, $1, $2) }
        list.C_GetSlotInfo = { Cryptoki.shared.getSlotInfo($0, $1) }
        list.C_GetTokenInfo = { Cryptoki.shared.getTokenInfo($0, $1) }
        list.C_GetMechanismList = { Cryptoki.shared.getMechanismList($0, $1, $2) }
        list.C_GetMechanismInfo = { Cryptoki.shared.getMechanismInfo($0, $1, $2) }
        list.C_InitToken = { _, _, _, _ in FunctionList.notSupported }
        list.C_InitPIN = { _, _, _ in FunctionList.notSupported }
        list.C_SetPIN = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_OpenSession = { slot, flags, _, _, session in Cryptoki.shared.openSession(slot, flags, session) }
        list.C_CloseSession = { Cryptoki.shared.closeSession($0) }
        list.C_CloseAllSessions = { Cryptoki.shared.closeAllSessions($0) }
        list.C_GetSessionInfo = { Cryptoki.shared.getSessionInfo($0, $1) }
        list.C_GetOperationState = { _, _, _ in FunctionList.notSupported }
        list.C_SetOperationState = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_Login = { Cryptoki.shared.login($0, $1, $2, $3) }
        list.C_Logout = { Cryptoki.shared.logout($0) }
        list.C_CreateObject = { _, _, _, _ in FunctionList.notSupported }
        list.C_CopyObject = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DestroyObject = { _, _ in FunctionList.notSupported }
        list.C_GetObjectSize = { _, _, _ in FunctionList.notSupported }
        list.C_GetAttributeValue = { Cryptoki.shared.getAttributeValue($0, $1, $2, $3) }
        list.C_SetAttributeValue = { _, _, _, _ in FunctionList.notSupported }
        list.C_FindObjectsInit = { Cryptoki.shared.findObjectsInit($0, $1, $2) }
        list.C_FindObjects = { Cryptoki.shared.findObjects($0, $1, $2, $3) }
        list.C_FindObjectsFinal = { Cryptoki.shared.findObjectsFinal($0) }
        list.C_EncryptInit = { _, _, _ in FunctionList.notSupported }
        list.C_Encrypt = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_EncryptUpdate = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_EncryptFinal = { _, _, _ in FunctionList.notSupported }
        list.C_DecryptInit = { _, _, _ in FunctionList.notSupported }
        list.C_Decrypt = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DecryptUpdate = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DecryptFinal = { _, _, _ in FunctionList.notSupported }
        list.C_DigestInit = { _, _ in FunctionList.notSupported }
        list.C_Digest = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DigestUpdate = { _, _, _ in FunctionList.notSupported }
        list.C_DigestKey = { _, _ in FunctionList.notSupported }
        list.C_DigestFinal = { _, _, _ in FunctionList.notSupported }
        list.C_SignInit = { Cryptoki.shared.signInit($0, $1, $2) }
        list.C_Sign = { Cryptoki.shared.sign($0, $1, $2, $3, $4) }
        list.C_SignUpdate = { Cryptoki.shared.signUpdate($0, $1, $2) }
        list.C_SignFinal = { Cryptoki.shared.signFinal($0, $1, $2) }
        list.C_SignRecoverInit = { _, _, _ in FunctionList.notSupported }
        list.C_SignRecover = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_VerifyInit = { _, _, _ in FunctionList.notSupported }
        list.C_Verify = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_VerifyUpdate = { _, _, _ in FunctionList.notSupported }
        list.C_VerifyFinal = { _, _, _ in FunctionList.notSupported }
        list.C_VerifyRecoverInit = { _, _, _ in FunctionList.notSupported }
        list.C_VerifyRecover = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DigestEncryptUpdate = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DecryptDigestUpdate = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_SignEncryptUpdate = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_DecryptVerifyUpdate = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_GenerateKey = { _, _, _, _, _ in FunctionList.notSupported }
        list.C_GenerateKeyPair = { _, _, _, _, _, _, _, _ in FunctionList.notSupported }
        list.C_WrapKey = { _, _, _, _, _, _ in FunctionList.notSupported }
        list.C_UnwrapKey = { _, _, _, _, _, _, _, _ in FunctionList.notSupported }
        list.C_DeriveKey = { _, _, _, _, _, _ in FunctionList.notSupported }
        list.C_SeedRandom = { _, _, _ in FunctionList.notSupported }
        list.C_GenerateRandom = { _, _, _ in FunctionList.notSupported }
        list.C_GetFunctionStatus = { _ in CK_RV(CKR_FUNCTION_NOT_PARALLEL) }
        list.C_CancelFunction = { _ in CK_RV(CKR_FUNCTION_NOT_PARALLEL) }
        list.C_WaitForSlotEvent = { _, _, _ in FunctionList.notSupported }
        return list
    }
}
