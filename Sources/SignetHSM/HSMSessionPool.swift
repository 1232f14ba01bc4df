import CPKCS11
import Foundation
import SignetCore

/// A fixed pool of read-write sessions on one token, logged in once. Signing borrows a session,
/// calls the token and returns it, so concurrent requests sign in parallel (one session per core is
/// plenty for a software token) and no request ever pays for a login or a key lookup.
///
/// Sessions are borrowed synchronously and never held across an `await`, so a blocked borrower only
/// ever waits for another thread's C_Sign to finish.
public final class HSMSessionPool: @unchecked Sendable {
    public let module: PKCS11Module
    public let slotID: UInt
    public let tokenLabel: String
    public let size: Int

    private let condition = NSCondition()
    private var idle: [CK_SESSION_HANDLE]
    private var closed = false

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
        self.idle = []
        var opened: [CK_SESSION_HANDLE] = []
        do {
            for _ in 0..<self.size {
                var session: CK_SESSION_HANDLE = 0
                try module.check(
                    module.functions.C_OpenSession!(CK_SLOT_ID(slotID), CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &session),
                    "C_OpenSession", "opening a session on token '\(tokenLabel)'")
                opened.append(session)
            }
            var pinBytes = Array(pin.utf8)
            let rv = module.functions.C_Login!(opened[0], CK_USER_TYPE(CKU_USER), &pinBytes, CK_ULONG(pinBytes.count))
            for index in pinBytes.indices { pinBytes[index] = 0 }
            if rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN {
                throw HSMError.call("C_Login", rv, "logging in to token '\(tokenLabel)'")
            }
        } catch {
            for session in opened { _ = module.functions.C_CloseSession!(session) }
            throw error
        }
        self.idle = opened
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

    /// Runs `body` with a session to itself, waiting for one if all are busy.
    func withSession<Result>(_ body: (CK_SESSION_HANDLE) throws -> Result) throws -> Result {
        condition.lock()
        while idle.isEmpty && !closed { condition.wait() }
        if closed {
            condition.unlock()
            throw HSMError(.pkcs11, "The HSM session pool for token '\(tokenLabel)' is closed")
        }
        let session = idle.removeLast()
        condition.unlock()
        defer {
            condition.lock()
            if closed {
                _ = module.functions.C_CloseSession!(session)
            } else {
                idle.append(session)
                condition.signal()
            }
            condition.unlock()
        }
        return try body(session)
    }
}
