import CPKCS11

/// Why a call to Signet did not produce what was asked, and the PKCS#11 return value each kind
/// becomes. README.md ("PKCS#11 module") shows the same table.
public enum SignetFailure: Error, Equatable, CustomStringConvertible {
    /// No answer: connection refused, DNS, TLS verification, timeout.
    case unreachable(String)
    /// Signet answered with an error status and its `{"error": {"code", "message"}}`.
    case refused(status: Int, code: String?, message: String)
    /// An answer the module cannot read.
    case unexpected(String)
    /// The credential could not be obtained (an unreadable token_file, an ID token the CI runner refused).
    case credential(String)
    /// The CI runner's ID token endpoint did not answer (GitHub Actions): try again later.
    case identityProviderUnreachable(String)

    /// What C_Sign and C_SignFinal return. Signet refuses a key it will not sign with (revoked or
    /// destroyed 409, expired certificate 422, another team's 403): the key exists but may not be used,
    /// CKR_KEY_FUNCTION_NOT_PERMITTED. A bad credential is CKR_USER_NOT_LOGGED_IN; an unknown key
    /// CKR_KEY_HANDLE_INVALID. Anything temporary or unreadable (no answer, 429, 5xx including 503 while
    /// the HSM is away) is CKR_DEVICE_ERROR: try again later.
    public var signReturnValue: CK_RV {
        switch self {
        case .unreachable, .unexpected, .identityProviderUnreachable:
            return CK_RV(CKR_DEVICE_ERROR)
        case .credential:
            return CK_RV(CKR_USER_NOT_LOGGED_IN)
        case .refused(let status, _, _):
            switch status {
            case 401: return CK_RV(CKR_USER_NOT_LOGGED_IN)
            case 403, 409, 422: return CK_RV(CKR_KEY_FUNCTION_NOT_PERMITTED)
            case 404: return CK_RV(CKR_KEY_HANDLE_INVALID)
            case 400: return CK_RV(CKR_DATA_INVALID)
            case 413: return CK_RV(CKR_DATA_LEN_RANGE)
            case 429, 500...599: return CK_RV(CKR_DEVICE_ERROR)
            default: return CK_RV(CKR_FUNCTION_FAILED)
            }
        }
    }

    /// Whether the credential itself was refused or missing: the token then shows as not present
    /// (nothing behind this credential can be used), rather than as a device failing.
    public var isCredentialRefused: Bool {
        switch self {
        case .credential: return true
        case .refused(let status, _, _): return status == 401 || status == 403
        case .unreachable, .unexpected, .identityProviderUnreachable: return false
        }
    }

    /// What C_OpenSession returns when the key listing fails: CKR_TOKEN_NOT_PRESENT for a refused
    /// credential, CKR_DEVICE_ERROR otherwise.
    public var listingReturnValue: CK_RV {
        isCredentialRefused ? CK_RV(CKR_TOKEN_NOT_PRESENT) : CK_RV(CKR_DEVICE_ERROR)
    }

    public var description: String {
        switch self {
        case .unreachable(let reason): return "Signet is unreachable: \(reason)"
        case .refused(let status, let code, let message): return "Signet refused (HTTP \(status)\(code.map { " \($0)" } ?? "")): \(message)"
        case .unexpected(let reason): return "unexpected answer from Signet: \(reason)"
        case .credential(let reason): return "no credential: \(reason)"
        case .identityProviderUnreachable(let reason): return "the GitHub Actions runner's ID token endpoint is unreachable: \(reason)"
        }
    }
}
