import CPKCS11
@testable import SignetPKCS11
import Testing

/// What each answer from Signet becomes at the PKCS#11 boundary: docs/pkcs11.md's refusal table.
@Suite struct SignetFailureTests {
    static let refusedKey = CK_ULONG(CKR_KEY_FUNCTION_NOT_PERMITTED)

    @Test("C_Sign: Signet's refusals of the key, of the credential, and what is worth trying again", arguments: [
        (SignetFailure.refused(status: 409, code: "conflict", message: "key revoked"), refusedKey, false),
        (.refused(status: 422, code: "policy_refused", message: "certificate expired"), refusedKey, false),
        (.refused(status: 403, code: "forbidden", message: "another team's key"), refusedKey, true),
        (.refused(status: 404, code: "not_found", message: "no such key"), CK_ULONG(CKR_KEY_HANDLE_INVALID), false),
        (.refused(status: 401, code: "unauthorized", message: "token expired"), CK_ULONG(CKR_USER_NOT_LOGGED_IN), true),
        (.credential("token_file /t: cannot be read"), CK_ULONG(CKR_USER_NOT_LOGGED_IN), true),
        (.refused(status: 400, code: "bad_request", message: "digest"), CK_ULONG(CKR_DATA_INVALID), false),
        (.refused(status: 413, code: "too_large", message: "body"), CK_ULONG(CKR_DATA_LEN_RANGE), false),
        (.refused(status: 429, code: "rate_limited", message: "slow down"), CK_ULONG(CKR_DEVICE_ERROR), false),
        (.refused(status: 503, code: "hsm_unavailable", message: "HSM away"), CK_ULONG(CKR_DEVICE_ERROR), false),
        (.refused(status: 500, code: nil, message: "HTTP 500"), CK_ULONG(CKR_DEVICE_ERROR), false),
        (.refused(status: 302, code: nil, message: "redirect"), CK_ULONG(CKR_FUNCTION_FAILED), false),
        (.unreachable("Connection refused"), CK_ULONG(CKR_DEVICE_ERROR), false),
        (.identityProviderUnreachable("Connection refused"), CK_ULONG(CKR_DEVICE_ERROR), false),
        (.unexpected("not JSON"), CK_ULONG(CKR_DEVICE_ERROR), false),
    ] as [(SignetFailure, CK_ULONG, Bool)])
    func returnValues(failure: SignetFailure, sign: CK_ULONG, credentialRefused: Bool) {
        expectRV(failure.signReturnValue, sign, "\(failure)")
        #expect(failure.isCredentialRefused == credentialRefused, "\(failure)")
        // A refused credential empties the slot; anything else is the device failing, to be tried again.
        expectRV(failure.listingReturnValue, credentialRefused ? CK_ULONG(CKR_TOKEN_NOT_PRESENT) : CK_ULONG(CKR_DEVICE_ERROR), "\(failure)")
    }
}
