import CPKCS11
import SignetCore

/// Failures of the key custody layer. Every PKCS#11 failure carries the function that failed and
/// the CKR_ code by name, so an operator can look it up in the vendor's manual; nothing in a message
/// ever contains a PIN or key material.
public struct HSMError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let name: String
        public static let moduleNotLoadable = Code(name: "module_not_loadable")
        public static let tokenNotFound = Code(name: "token_not_found")
        public static let pinIncorrect = Code(name: "pin_incorrect")
        public static let pinUnavailable = Code(name: "pin_unavailable")
        public static let keyNotFound = Code(name: "key_not_found")
        public static let unsupported = Code(name: "unsupported")
        public static let protectionViolated = Code(name: "protection_violated")
        public static let pkcs11 = Code(name: "pkcs11")
    }

    public let code: Code
    public let reason: String
    /// The CK_RV returned, when the failure came from a PKCS#11 call.
    public let returnValue: UInt?

    public init(_ code: Code, _ reason: String, returnValue: UInt? = nil) {
        self.code = code
        self.reason = reason
        self.returnValue = returnValue
    }

    public var description: String { reason }

    /// Wraps a failed PKCS#11 call: "C_Sign failed: CKR_KEY_HANDLE_INVALID (0x60) while signing with …".
    static func call(_ function: String, _ rv: CK_RV, _ context: String) -> HSMError {
        if rv == CK_RV(CKR_PIN_INCORRECT) {
            return HSMError(.pinIncorrect, "The HSM rejected the PIN (\(function): CKR_PIN_INCORRECT) while \(context); check SIGNET_HSM_PIN or the PIN file", returnValue: rv)
        }
        if rv == CK_RV(CKR_PIN_LOCKED) {
            return HSMError(.pinIncorrect, "The token's user PIN is locked (\(function): CKR_PIN_LOCKED) while \(context); reset it with the SO PIN", returnValue: rv)
        }
        return HSMError(.pkcs11, "\(function) failed: \(PKCS11ReturnValue.name(rv)) while \(context)", returnValue: rv)
    }
}

extension HSMError: SignetErrorConvertible {
    /// The same failure as a core error, for callers that only know `SignetError`: a token that is
    /// unreachable or failing is `keyCustody` (503 `hsm_unavailable` over HTTP, retried by clients);
    /// a key type Signet does not use or a key the token did not protect is Signet's own fault.
    public var asSignetError: SignetError {
        switch code {
        case .unsupported, .protectionViolated: return SignetError(.internalError, reason)
        default: return SignetError(.keyCustody, reason)
        }
    }
}

/// Names for the CKR_ codes an operator is likely to meet.
enum PKCS11ReturnValue {
    static func name(_ rv: CK_RV) -> String {
        let known: [CK_RV: String] = [
            CK_RV(CKR_OK): "CKR_OK",
            CK_RV(CKR_GENERAL_ERROR): "CKR_GENERAL_ERROR",
            CK_RV(CKR_FUNCTION_FAILED): "CKR_FUNCTION_FAILED",
            CK_RV(CKR_ARGUMENTS_BAD): "CKR_ARGUMENTS_BAD",
            CK_RV(CKR_ATTRIBUTE_SENSITIVE): "CKR_ATTRIBUTE_SENSITIVE",
            CK_RV(CKR_ATTRIBUTE_TYPE_INVALID): "CKR_ATTRIBUTE_TYPE_INVALID",
            CK_RV(CKR_ATTRIBUTE_VALUE_INVALID): "CKR_ATTRIBUTE_VALUE_INVALID",
            CK_RV(CKR_DEVICE_ERROR): "CKR_DEVICE_ERROR",
            CK_RV(CKR_DEVICE_MEMORY): "CKR_DEVICE_MEMORY",
            CK_RV(CKR_KEY_HANDLE_INVALID): "CKR_KEY_HANDLE_INVALID",
            CK_RV(CKR_KEY_TYPE_INCONSISTENT): "CKR_KEY_TYPE_INCONSISTENT",
            CK_RV(CKR_MECHANISM_INVALID): "CKR_MECHANISM_INVALID",
            CK_RV(CKR_OBJECT_HANDLE_INVALID): "CKR_OBJECT_HANDLE_INVALID",
            CK_RV(CKR_OPERATION_ACTIVE): "CKR_OPERATION_ACTIVE",
            CK_RV(CKR_PIN_INCORRECT): "CKR_PIN_INCORRECT",
            CK_RV(CKR_PIN_LOCKED): "CKR_PIN_LOCKED",
            CK_RV(CKR_SESSION_HANDLE_INVALID): "CKR_SESSION_HANDLE_INVALID",
            CK_RV(CKR_SESSION_CLOSED): "CKR_SESSION_CLOSED",
            CK_RV(CKR_SLOT_ID_INVALID): "CKR_SLOT_ID_INVALID",
            CK_RV(CKR_TOKEN_NOT_PRESENT): "CKR_TOKEN_NOT_PRESENT",
            CK_RV(CKR_TOKEN_NOT_RECOGNIZED): "CKR_TOKEN_NOT_RECOGNIZED",
            CK_RV(CKR_TEMPLATE_INCOMPLETE): "CKR_TEMPLATE_INCOMPLETE",
            CK_RV(CKR_TEMPLATE_INCONSISTENT): "CKR_TEMPLATE_INCONSISTENT",
            CK_RV(CKR_USER_NOT_LOGGED_IN): "CKR_USER_NOT_LOGGED_IN",
            CK_RV(CKR_USER_ALREADY_LOGGED_IN): "CKR_USER_ALREADY_LOGGED_IN",
            CK_RV(CKR_USER_PIN_NOT_INITIALIZED): "CKR_USER_PIN_NOT_INITIALIZED",
            CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED): "CKR_CRYPTOKI_NOT_INITIALIZED",
            CK_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED): "CKR_CRYPTOKI_ALREADY_INITIALIZED",
            CK_RV(CKR_BUFFER_TOO_SMALL): "CKR_BUFFER_TOO_SMALL",
            CK_RV(CKR_DATA_LEN_RANGE): "CKR_DATA_LEN_RANGE",
        ]
        return known[rv] ?? "CKR 0x" + String(rv, radix: 16)
    }
}
