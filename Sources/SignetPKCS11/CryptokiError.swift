import CPKCS11

/// A PKCS#11 return value other than CKR_OK: thrown inside the module, returned at the C boundary.
/// Nothing else leaves the module, so no Swift error can reach (or crash) the caller.
public struct CryptokiError: Error, Equatable, CustomStringConvertible {
    public let rv: CK_RV

    public init(_ rv: CK_RV) {
        self.rv = rv
    }

    public static let argumentsBad = CryptokiError(CK_RV(CKR_ARGUMENTS_BAD))
    public static let notInitialized = CryptokiError(CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED))
    public static let slotInvalid = CryptokiError(CK_RV(CKR_SLOT_ID_INVALID))
    public static let sessionInvalid = CryptokiError(CK_RV(CKR_SESSION_HANDLE_INVALID))
    public static let objectInvalid = CryptokiError(CK_RV(CKR_OBJECT_HANDLE_INVALID))
    public static let keyInvalid = CryptokiError(CK_RV(CKR_KEY_HANDLE_INVALID))
    public static let keyTypeInconsistent = CryptokiError(CK_RV(CKR_KEY_TYPE_INCONSISTENT))
    public static let mechanismInvalid = CryptokiError(CK_RV(CKR_MECHANISM_INVALID))
    public static let mechanismParameterInvalid = CryptokiError(CK_RV(CKR_MECHANISM_PARAM_INVALID))
    public static let operationActive = CryptokiError(CK_RV(CKR_OPERATION_ACTIVE))
    public static let operationNotInitialized = CryptokiError(CK_RV(CKR_OPERATION_NOT_INITIALIZED))
    public static let dataInvalid = CryptokiError(CK_RV(CKR_DATA_INVALID))
    public static let dataLengthRange = CryptokiError(CK_RV(CKR_DATA_LEN_RANGE))
    public static let bufferTooSmall = CryptokiError(CK_RV(CKR_BUFFER_TOO_SMALL))
    public static let tokenNotPresent = CryptokiError(CK_RV(CKR_TOKEN_NOT_PRESENT))
    public static let deviceError = CryptokiError(CK_RV(CKR_DEVICE_ERROR))
    public static let generalError = CryptokiError(CK_RV(CKR_GENERAL_ERROR))
    public static let keyFunctionNotPermitted = CryptokiError(CK_RV(CKR_KEY_FUNCTION_NOT_PERMITTED))

    public var description: String { ReturnValueName.name(rv) }
}
