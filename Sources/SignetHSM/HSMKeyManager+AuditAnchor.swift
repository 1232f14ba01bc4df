import CPKCS11
import SignetCore

/// The key manager as the audit trail's token: it is logged in, so it sees and writes both copies of
/// the anchor and the audit keys' private halves.
extension HSMKeyManager: AuditAnchorWriter {
    public var seesPrivateObjects: Bool { true }

    public func anchorValues(_ copy: AuditAnchor.Copy) throws -> [[UInt8]] {
        try pool.withSession { session in try pool.module.anchorValues(copy, in: session) }
    }

    public func auditKey(id: [UInt8]) throws -> TokenAuditKey? {
        try pool.withSession { session in try pool.module.tokenAuditKey(id: id, loggedIn: true, in: session) }
    }

    public func generateAuditKey(_ reference: KeyReference, algorithm: KeyAlgorithm) throws -> any SigningKey {
        try generate(reference, algorithm: algorithm, publicHalfReadableWithoutLogin: true)
    }

    public func writeAnchor(_ value: [UInt8], copy: AuditAnchor.Copy) throws {
        let module = pool.module
        let older = try pool.withSession { session in try module.findObjects(in: session, matching: PKCS11Module.anchorTemplate(copy)) }
        let template = PKCS11Module.anchorTemplate(copy)
        template.add(UInt(CKA_VALUE), bytes: value)
        // Created once: after a lost session the checkpoint fails and the next one writes again.
        try pool.withSession(retrying: false) { session in
            var handle: CK_OBJECT_HANDLE = 0
            try template.withAttributes { attributes, count in
                try module.check(module.functions.C_CreateObject!(session, attributes, count, &handle), "C_CreateObject", "writing the \(copy.rawValue) audit anchor")
            }
        }
        // Only now the older objects go: until then a reader sees old and new and takes the newer.
        try pool.withSession { session in
            for handle in older {
                let rv = module.functions.C_DestroyObject!(session, handle)
                // Another process may have destroyed it first.
                if rv != CKR_OBJECT_HANDLE_INVALID { try module.check(rv, "C_DestroyObject", "removing an older \(copy.rawValue) audit anchor") }
            }
        }
    }
}
