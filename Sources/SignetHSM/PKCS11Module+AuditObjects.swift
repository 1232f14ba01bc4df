import CPKCS11
import SignetCore

/// The token objects audit verification reads, in a session the caller holds: the anchor's data
/// objects and what a key's objects say about it. Shared by the logged-in key manager and the
/// no-login reader, which differ only in what the token lets their session see.
extension PKCS11Module {
    /// A search template for the anchor's `copy` (CKO_DATA, token object, label, application, CKA_PRIVATE).
    static func anchorTemplate(_ copy: AuditAnchor.Copy) -> AttributeTemplate {
        let template = AttributeTemplate()
        template.add(UInt(CKA_CLASS), ulong: UInt(CKO_DATA))
        template.add(UInt(CKA_TOKEN), true)
        template.add(UInt(CKA_PRIVATE), copy == .private)
        template.add(UInt(CKA_LABEL), bytes: Array(AuditAnchor.label.utf8))
        template.add(UInt(CKA_APPLICATION), bytes: Array(AuditAnchor.application.utf8))
        return template
    }

    /// The values of every anchor object of `copy` this session can see.
    ///
    /// A running server replaces the anchor while a verification reads it (it creates the new object,
    /// then destroys the old one), so a handle found a moment ago may be gone when its value is read
    /// (CKR_OBJECT_HANDLE_INVALID): that object is skipped, and when every object found had gone, the
    /// search runs again, since the replacement was made after it.
    func anchorValues(_ copy: AuditAnchor.Copy, in session: CK_SESSION_HANDLE) throws -> [[UInt8]] {
        for _ in 0..<5 {
            var values: [[UInt8]] = []
            var vanished = 0
            for handle in try findObjects(in: session, matching: Self.anchorTemplate(copy)) {
                do {
                    values.append(try readAttributes(handle, [UInt(CKA_VALUE)], in: session)[UInt(CKA_VALUE)] ?? [])
                } catch let error as HSMError where error.returnValue == UInt(CKR_OBJECT_HANDLE_INVALID) {
                    vanished += 1
                }
            }
            if vanished == 0 || !values.isEmpty { return values }
        }
        throw HSMError(.pkcs11, "The token's audit anchor was replaced on every one of 5 reads; another process is rewriting it continuously")
    }

    /// What the token shows of the key with CKA_ID `id` to this session; nil when it shows no public
    /// half (or, `loggedIn`, no private half) or the key is of a type Signet does not use.
    func tokenAuditKey(id: [UInt8], loggedIn: Bool, in session: CK_SESSION_HANDLE) throws -> TokenAuditKey? {
        let reference = KeyReference(id: id, label: "audit key")
        guard let publicHandle = try findObjects(in: session, id: id, objectClass: UInt(CKO_PUBLIC_KEY)).first else { return nil }
        let privateHandles = try findObjects(in: session, id: id, objectClass: UInt(CKO_PRIVATE_KEY))
        if loggedIn && privateHandles.isEmpty { return nil }
        let values = try readAttributes(
            publicHandle, [UInt(CKA_LABEL), UInt(CKA_LOCAL)] + HSMKeyManager.algorithmAttributes + HSMKeyManager.publicKeyAttributes, in: session)
        guard let algorithm = HSMKeyManager.algorithm(from: values) else { return nil }
        let publicKey = try HSMKeyManager.publicKey(from: values, algorithm, reference)
        var label = String(decoding: values[UInt(CKA_LABEL)] ?? [], as: UTF8.self)
        var privateHalf: KeyProtection?
        var privateHalfIsPublic = false
        if let privateHandle = privateHandles.first {
            let privateValues = try readAttributes(privateHandle, HSMKeyManager.protectionAttributes + [UInt(CKA_LABEL)], in: session)
            let protection = HSMKeyManager.protection(from: privateValues)
            privateHalfIsPublic = !protection.isPrivate
            if loggedIn {
                privateHalf = protection
                // The private half's label is the one only the PIN holder can have set.
                label = String(decoding: privateValues[UInt(CKA_LABEL)] ?? [], as: UTF8.self)
            }
        }
        return TokenAuditKey(id: id.hexString, label: label, publicKey: publicKey, algorithm: algorithm,
                             generatedInToken: (values[UInt(CKA_LOCAL)]?.first ?? 0) != 0, privateHalf: privateHalf,
                             privateHalfIsPublic: privateHalfIsPublic)
    }
}
