import CPKCS11
import Foundation
import SignetCore

/// The token as an auditor without the user PIN sees it: one read-only session, never logged in, so
/// only public objects are visible (the anchor's public copy and the audit keys' public halves).
/// Lets `signet audit verify` check checkpoint signatures and the anchor without the PIN, and say
/// what it could not check.
public final class HSMPublicReader: AuditAnchorReader, @unchecked Sendable {
    public let module: PKCS11Module
    public let tokenLabel: String
    private let session: CK_SESSION_HANDLE
    /// PKCS#11 sessions are not for concurrent use; searches in particular hold state.
    private let lock = NSLock()

    /// Opens a read-only session without login on the token labelled `tokenLabel`.
    public init(module: PKCS11Module, tokenLabel: String) throws {
        guard let token = try module.token(labelled: tokenLabel) else {
            throw HSMError(.tokenNotFound, "No token labelled '\(tokenLabel)' on \(module.path)")
        }
        var session: CK_SESSION_HANDLE = 0
        try module.check(module.functions.C_OpenSession!(CK_SLOT_ID(token.slotID), CK_FLAGS(CKF_SERIAL_SESSION), nil, nil, &session),
                         "C_OpenSession", "opening a read-only session on token '\(tokenLabel)'")
        self.module = module
        self.tokenLabel = tokenLabel
        self.session = session
    }

    deinit { _ = module.functions.C_CloseSession!(session) }

    public var seesPrivateObjects: Bool { false }

    public func anchorValues(_ copy: AuditAnchor.Copy) throws -> [[UInt8]] {
        guard copy == .public else { return [] }
        lock.lock()
        defer { lock.unlock() }
        return try module.anchorValues(copy, in: session)
    }

    public func auditKey(id: [UInt8]) throws -> TokenAuditKey? {
        lock.lock()
        defer { lock.unlock() }
        return try module.tokenAuditKey(id: id, loggedIn: false, in: session)
    }
}
