import CPKCS11

/// Session management (PKCS#11 §5.6). Opening a session asks Signet for a fresh key listing, so each
/// session sees the keys usable now (a revoked key is gone, a new release's key has arrived).
extension Cryptoki {
    public func openSession(_ slot: CK_SLOT_ID, _ flags: CK_FLAGS, _ session: UnsafeMutablePointer<CK_SESSION_HANDLE>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            try checkSlot(slot)
            guard let session else { throw .argumentsBad }
            guard flags & CK_FLAGS(CKF_SERIAL_SESSION) != 0 else { throw CryptokiError(CK_RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED)) }
            // A session shows the keys usable now, so it opens only on a fresh listing.
            if let failure = try refresh(force: true) { throw CryptokiError(failure.listingReturnValue) }
            session.pointee = try withLive { live throws(CryptokiError) in
                guard live.token != nil else { throw .tokenNotPresent }
                live.lastSession += 1
                live.sessions[live.lastSession] = Session(flags: flags)
                return live.lastSession
            }
        }
    }

    public func closeSession(_ handle: CK_SESSION_HANDLE) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard live.sessions.removeValue(forKey: handle) != nil else { throw .sessionInvalid }
                // Closing the last session logs the user out (PKCS#11 §5.6 C_CloseSession).
                if live.sessions.isEmpty { live.loggedIn = nil }
            }
        }
    }

    public func closeAllSessions(_ slot: CK_SLOT_ID) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard slot == Self.slotID else { throw .slotInvalid }
                live.sessions.removeAll()
                live.loggedIn = nil
            }
        }
    }

    public func getSessionInfo(_ handle: CK_SESSION_HANDLE, _ info: UnsafeMutablePointer<CK_SESSION_INFO>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard let session = live.sessions[handle] else { throw .sessionInvalid }
                guard let info else { throw .argumentsBad }
                var value = CK_SESSION_INFO()
                value.slotID = Self.slotID
                if let user = live.loggedIn {
                    value.state = user == CK_USER_TYPE(CKU_SO) ? CK_STATE(CKS_RW_SO_FUNCTIONS)
                        : CK_STATE(session.isReadWrite ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS)
                } else {
                    value.state = CK_STATE(session.isReadWrite ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION)
                }
                value.flags = session.flags
                value.ulDeviceError = 0
                info.pointee = value
            }
        }
    }

    /// Accepts any PIN: Signet authenticates the bearer, not a PIN, but Java's keystore and libp11 log
    /// in before they use a key. The PIN is neither kept nor compared.
    public func login(_ handle: CK_SESSION_HANDLE, _ userType: CK_USER_TYPE, _ pin: UnsafeMutablePointer<CK_UTF8CHAR>?, _ pinLength: CK_ULONG) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard live.sessions[handle] != nil else { throw .sessionInvalid }
                guard pin != nil || pinLength == 0 else { throw .argumentsBad }
                switch userType {
                case CK_USER_TYPE(CKU_USER), CK_USER_TYPE(CKU_SO):
                    if let current = live.loggedIn {
                        throw CryptokiError(CK_RV(current == userType ? CKR_USER_ALREADY_LOGGED_IN : CKR_USER_ANOTHER_ALREADY_LOGGED_IN))
                    }
                    live.loggedIn = userType
                case CK_USER_TYPE(CKU_CONTEXT_SPECIFIC):
                    // No key needs CKA_ALWAYS_AUTHENTICATE; nothing to re-authenticate.
                    return
                default:
                    throw CryptokiError(CK_RV(CKR_USER_TYPE_INVALID))
                }
            }
        }
    }

    public func logout(_ handle: CK_SESSION_HANDLE) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard live.sessions[handle] != nil else { throw .sessionInvalid }
                guard live.loggedIn != nil else { throw CryptokiError(CK_RV(CKR_USER_NOT_LOGGED_IN)) }
                live.loggedIn = nil
            }
        }
    }
}
