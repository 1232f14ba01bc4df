import CPKCS11
import Foundation
import SignetCore

/// A fixed pool of read-write sessions on one token, logged in once. Signing borrows a session,
/// calls the token and returns it, so concurrent requests sign in parallel (one session per core is
/// plenty for a software token) and no request ever pays for a login or a key lookup.
///
/// Sessions are borrowed synchronously and never held across an `await`, so a blocked borrower only
/// ever waits for another thread's C_Sign to finish.
///
/// A session the token has dropped (a network HSM reconnecting, a token reset, another application
/// calling C_CloseAllSessions: CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_USER_NOT_LOGGED_IN,
/// CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT) is closed and replaced by a new, logged-in one, and the
/// operation is tried once more on it, so a server outlives its HSM connection instead of failing
/// every signature until it is restarted.
public final class HSMSessionPool: @unchecked Sendable {
    public let module: PKCS11Module
    public let slotID: UInt
    public let tokenLabel: String
    public let size: Int

    private let condition = NSCondition()
    private var idle: [CK_SESSION_HANDLE]
    /// Sessions owned by the pool: idle plus borrowed (plus any being opened).
    private var live = 0
    private var closed = false
    /// Kept to log in again when the token has dropped the login with its sessions.
    private let pin: [UInt8]
    private var replaced = 0

    /// How many sessions were opened after start-up to replace ones the token dropped.
    public var sessionsReplaced: Int {
        condition.lock()
        defer { condition.unlock() }
        return replaced
    }

    /// Opens `size` sessions on the token labelled `tokenLabel` and logs the user in.
    public init(module: PKCS11Module, tokenLabel: String, pin: String, size: Int) throws {
        guard let token = try module.token(labelled: tokenLabel) else {
            let labels = try module.tokens().filter(\.initialized).map { "'\($0.label)'" }
            let known = labels.isEmpty ? "none" : labels.joined(separator: ", ")
            throw HSMError(.tokenNotFound, "No token labelled '\(tokenLabel)' on \(module.path) (tokens present: \(known)); run `signet init` or fix hsm.token_label")
        }
        self.module = module
        self.slotID = token.slotID
        self.tokenLabel = tokenLabel
        self.size = max(1, size)
        self.pin = Array(pin.utf8)
        self.idle = []
        var opened: [CK_SESSION_HANDLE] = []
        do {
            for _ in 0..<self.size { opened.append(try openLoggedInSession()) }
        } catch {
            for session in opened { _ = module.functions.C_CloseSession!(session) }
            throw error
        }
        self.idle = opened
        self.live = opened.count
    }

    deinit { close() }

    /// Closes every session. Borrowers that arrive later fail with a clear error.
    public func close() {
        condition.lock()
        let sessions = idle
        idle.removeAll()
        closed = true
        condition.broadcast()
        condition.unlock()
        for session in sessions { _ = module.functions.C_CloseSession!(session) }
    }

    /// Runs `body` with a session to itself, waiting for one if all are busy. If the token has
    /// dropped the session, it is replaced and, when `retrying`, `body` runs once more on the new
    /// one (not for operations that must not happen twice, like generating a key).
    func withSession<Result>(retrying: Bool = true, _ body: (CK_SESSION_HANDLE) throws -> Result) throws -> Result {
        var session = try borrow()
        var retried = false
        while true {
            do {
                let result = try body(session)
                giveBack(session)
                return result
            } catch let error as HSMError where Self.isLostSession(error) {
                discard(session)
                guard retrying, !retried else { throw error }
                retried = true
                session = try borrow(fresh: true)
            } catch {
                giveBack(session)
                throw error
            }
        }
    }

    /// Return codes that mean the session (or the login behind it) is gone, not that the request was wrong.
    static func isLostSession(_ error: HSMError) -> Bool {
        guard let rv = error.returnValue else { return false }
        return [CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT]
            .map { CK_RV($0) }.contains(rv)
    }

    /// An idle session, or a newly opened one when the pool is short of sessions (or `fresh` asks for one).
    private func borrow(fresh: Bool = false) throws -> CK_SESSION_HANDLE {
        condition.lock()
        while !fresh && idle.isEmpty && live >= size && !closed { condition.wait() }
        if closed {
            condition.unlock()
            throw HSMError(.pkcs11, "The HSM session pool for token '\(tokenLabel)' is closed")
        }
        if !fresh, let session = idle.popLast() {
            condition.unlock()
            return session
        }
        live += 1
        condition.unlock()
        do {
            let session = try openLoggedInSession()
            condition.lock()
            replaced += 1
            condition.unlock()
            return session
        } catch {
            condition.lock()
            live -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func giveBack(_ session: CK_SESSION_HANDLE) {
        condition.lock()
        if closed {
            live -= 1
            condition.unlock()
            _ = module.functions.C_CloseSession!(session)
            return
        }
        idle.append(session)
        condition.signal()
        condition.unlock()
    }

    /// Closes a session the token no longer honours and frees its place in the pool.
    private func discard(_ session: CK_SESSION_HANDLE) {
        _ = module.functions.C_CloseSession!(session)
        condition.lock()
        live -= 1
        condition.signal()
        condition.unlock()
    }

    /// A read-write session with the user logged in (login state is per token, so after the first
    /// session C_Login answers CKR_USER_ALREADY_LOGGED_IN, which is fine).
    private func openLoggedInSession() throws -> CK_SESSION_HANDLE {
        var session: CK_SESSION_HANDLE = 0
        try module.check(
            module.functions.C_OpenSession!(CK_SLOT_ID(slotID), CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session),
            "C_OpenSession", "opening a session on token '\(tokenLabel)'")
        var pinBytes = pin
        let rv = module.functions.C_Login!(session, CK_USER_TYPE(CKU_USER), &pinBytes, CK_ULONG(pinBytes.count))
        for index in pinBytes.indices { pinBytes[index] = 0 }
        if rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN {
            _ = module.functions.C_CloseSession!(session)
            throw HSMError.call("C_Login", rv, "logging in to token '\(tokenLabel)'")
        }
        return session
    }
}
