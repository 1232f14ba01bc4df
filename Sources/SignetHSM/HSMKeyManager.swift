import CPKCS11
import Crypto
import _CryptoExtras
import Foundation
import SignetCore
import SwiftASN1
import X509

/// Key custody over one PKCS#11 token: generates key pairs inside it, finds them by CKA_ID, destroys
/// them and lists what is there. Keys it generates are always on-token, private, sensitive,
/// non-extractable and sign-only, and it reads those attributes back after generation and refuses
/// a key the token did not protect as asked.
public final class HSMKeyManager: KeyCustodian, @unchecked Sendable {
    public let pool: HSMSessionPool
    private let cache = Locked<[[UInt8]: HSMKey]>([:])

    public init(pool: HSMSessionPool) {
        self.pool = pool
    }

    private var module: PKCS11Module { pool.module }
    private var functions: CK_FUNCTION_LIST { pool.module.functions }

    public var custodyDescription: String {
        PKCS11URI(token: pool.tokenLabel, modulePath: module.path).description
    }

    /// The RFC 7512 URI of a key, as shown in the inventory.
    public func uri(for reference: KeyReference) -> PKCS11URI {
        PKCS11URI(token: pool.tokenLabel, object: reference.label, id: reference.id, type: "private", modulePath: module.path)
    }

    // MARK: KeyCustodian

    public func generateKey(_ reference: KeyReference, algorithm: KeyAlgorithm) throws -> any SigningKey {
        try generate(reference, algorithm: algorithm, publicHalfReadableWithoutLogin: false)
    }

    /// Generates a key pair; `publicHalfReadableWithoutLogin` sets CKA_PRIVATE false on the public
    /// half explicitly (the audit key's, so auditors without the PIN can check signatures), else the
    /// token's default applies. The private half is always CKA_PRIVATE true.
    func generate(_ reference: KeyReference, algorithm: KeyAlgorithm, publicHalfReadableWithoutLogin: Bool) throws -> any SigningKey {
        let publicTemplate = AttributeTemplate()
        let privateTemplate = AttributeTemplate()
        var mechanism = CK_MECHANISM()
        publicTemplate.add(UInt(CKA_CLASS), ulong: UInt(CKO_PUBLIC_KEY))
        privateTemplate.add(UInt(CKA_CLASS), ulong: UInt(CKO_PRIVATE_KEY))
        for template in [publicTemplate, privateTemplate] {
            template.add(UInt(CKA_TOKEN), true)
            template.add(UInt(CKA_ID), bytes: reference.id)
            template.add(UInt(CKA_LABEL), bytes: Array(reference.label.utf8))
        }
        publicTemplate.add(UInt(CKA_VERIFY), true)
        if publicHalfReadableWithoutLogin { publicTemplate.add(UInt(CKA_PRIVATE), false) }
        publicTemplate.add(UInt(CKA_ENCRYPT), false)
        publicTemplate.add(UInt(CKA_WRAP), false)
        privateTemplate.add(UInt(CKA_PRIVATE), true)
        privateTemplate.add(UInt(CKA_SENSITIVE), true)
        privateTemplate.add(UInt(CKA_EXTRACTABLE), false)
        privateTemplate.add(UInt(CKA_SIGN), true)
        privateTemplate.add(UInt(CKA_DECRYPT), false)
        privateTemplate.add(UInt(CKA_UNWRAP), false)
        privateTemplate.add(UInt(CKA_DERIVE), false)
        switch algorithm {
        case .ecP256, .ecP384:
            mechanism.mechanism = CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN)
            publicTemplate.add(UInt(CKA_KEY_TYPE), ulong: UInt(CKK_EC))
            privateTemplate.add(UInt(CKA_KEY_TYPE), ulong: UInt(CKK_EC))
            publicTemplate.add(UInt(CKA_EC_PARAMS), bytes: Self.ecParameters(algorithm))
        case .rsa2048, .rsa3072, .rsa4096:
            mechanism.mechanism = CK_MECHANISM_TYPE(CKM_RSA_PKCS_KEY_PAIR_GEN)
            publicTemplate.add(UInt(CKA_KEY_TYPE), ulong: UInt(CKK_RSA))
            privateTemplate.add(UInt(CKA_KEY_TYPE), ulong: UInt(CKK_RSA))
            publicTemplate.add(UInt(CKA_MODULUS_BITS), ulong: UInt(algorithm.rsaModulusBits!))
            publicTemplate.add(UInt(CKA_PUBLIC_EXPONENT), bytes: [0x01, 0x00, 0x01])
        }
        guard try findObjects(id: reference.id, objectClass: nil).isEmpty else {
            throw HSMError(.protectionViolated, "The token already holds objects with id \(reference.idHex); refusing to generate a second key under it")
        }
        var publicHandle: CK_OBJECT_HANDLE = 0
        var privateHandle: CK_OBJECT_HANDLE = 0
        // Never generated twice: a lost session fails this generation (the store's pending record
        // is reconciled at the next start) rather than possibly making a second key under the id.
        try pool.withSession(retrying: false) { session in
            try publicTemplate.withAttributes { publicAttributes, publicCount in
                try privateTemplate.withAttributes { privateAttributes, privateCount in
                    try module.check(
                        functions.C_GenerateKeyPair!(session, &mechanism, publicAttributes, publicCount, privateAttributes, privateCount, &publicHandle, &privateHandle),
                        "C_GenerateKeyPair", "generating \(algorithm) key \(reference)")
                }
            }
        }
        do {
            let protection = try readProtection(privateHandle, reference)
            guard protection.isFullyProtected else {
                throw HSMError(.protectionViolated, "The token generated \(reference) without the protection Signet requires (\(protection)); the key was destroyed")
            }
            let key = HSMKey(reference: reference, algorithm: algorithm, publicKey: try readPublicKey(publicHandle, algorithm, reference),
                             handle: signingHandle(for: privateHandle, reference), pool: pool)
            cache.withLock { $0[reference.id] = key }
            return key
        } catch {
            try? destroyKey(reference)
            throw error
        }
    }

    public func key(_ reference: KeyReference) throws -> any SigningKey {
        try hsmKey(reference)
    }

    /// The key as its concrete type.
    public func hsmKey(_ reference: KeyReference) throws -> HSMKey {
        if let cached = cache.withLock({ $0[reference.id] }) { return cached }
        guard let privateHandle = try findObjects(id: reference.id, objectClass: UInt(CKO_PRIVATE_KEY)).first else {
            throw HSMError(.keyNotFound, "Key \(reference) is not in token '\(pool.tokenLabel)'; it was destroyed or the store and token disagree (see `signet inventory`)")
        }
        guard let publicHandle = try findObjects(id: reference.id, objectClass: UInt(CKO_PUBLIC_KEY)).first else {
            throw HSMError(.keyNotFound, "The public half of key \(reference) is missing from token '\(pool.tokenLabel)'")
        }
        guard let algorithm = try algorithm(ofPrivateKey: privateHandle) else {
            throw HSMError(.unsupported, "Key \(reference) in token '\(pool.tokenLabel)' is of a type Signet does not use")
        }
        let key = HSMKey(reference: reference, algorithm: algorithm, publicKey: try readPublicKey(publicHandle, algorithm, reference),
                         handle: signingHandle(for: privateHandle, reference), pool: pool)
        cache.withLock { $0[reference.id] = key }
        return key
    }

    public func destroyKey(_ reference: KeyReference) throws {
        cache.withLock { $0[reference.id] = nil }
        let handles = try findObjects(id: reference.id, objectClass: nil, tokenObjectsOnly: false)
        try pool.withSession(retrying: false) { session in
            for handle in handles {
                try module.check(functions.C_DestroyObject!(session, handle), "C_DestroyObject", "destroying \(reference)")
            }
        }
    }

    public func listKeys() throws -> [TokenKey] {
        try findObjects(id: nil, objectClass: UInt(CKO_PRIVATE_KEY)).map { handle in
            let attributes = try readAttributes(handle, [UInt(CKA_ID), UInt(CKA_LABEL)])
            let reference = KeyReference(id: attributes[UInt(CKA_ID)] ?? [], label: String(decoding: attributes[UInt(CKA_LABEL)] ?? [], as: UTF8.self))
            return TokenKey(reference: reference, algorithm: try algorithm(ofPrivateKey: handle))
        }
    }

    public func protection(of reference: KeyReference) throws -> KeyProtection {
        guard let handle = try findObjects(id: reference.id, objectClass: UInt(CKO_PRIVATE_KEY)).first else {
            throw HSMError(.keyNotFound, "Key \(reference) is not in token '\(pool.tokenLabel)'")
        }
        return try readProtection(handle, reference)
    }

    // MARK: Attribute access

    /// The protection attributes of the object a key signs with (its session copy, or the token
    /// object). Exposed to tests.
    func signingObjectProtection(_ key: HSMKey) throws -> KeyProtection {
        try readProtection(key.handle.current, key.reference)
    }

    /// Handles of the private-key objects with this id, session copies included. Exposed to tests.
    func privateKeyObjects(_ reference: KeyReference, includingSessionCopies: Bool) throws -> [CK_OBJECT_HANDLE] {
        try findObjects(id: reference.id, objectClass: UInt(CKO_PRIVATE_KEY), tokenObjectsOnly: !includingSessionCopies)
    }

    /// Raw attribute values of the private key; nil for attributes the token withholds. Exposed to
    /// tests so they can prove that CKA_VALUE cannot be read.
    func privateKeyAttribute(_ reference: KeyReference, _ type: UInt) throws -> [UInt8]? {
        guard let handle = try findObjects(id: reference.id, objectClass: UInt(CKO_PRIVATE_KEY)).first else {
            throw HSMError(.keyNotFound, "Key \(reference) is not in token '\(pool.tokenLabel)'")
        }
        return try readAttributes(handle, [type])[type]
    }

    private func readProtection(_ handle: CK_OBJECT_HANDLE, _ reference: KeyReference) throws -> KeyProtection {
        Self.protection(from: try readAttributes(handle, Self.protectionAttributes))
    }

    /// The attributes ``protection(from:)`` needs.
    static let protectionAttributes = [CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_LOCAL].map { UInt($0) }

    /// A private key's protection, from its attributes (absent ones read as false).
    static func protection(from values: [UInt: [UInt8]]) -> KeyProtection {
        func flag(_ type: UInt) -> Bool { (values[type]?.first ?? 0) != 0 }
        return KeyProtection(
            onToken: flag(CKA_TOKEN), isPrivate: flag(CKA_PRIVATE), sensitive: flag(CKA_SENSITIVE),
            extractable: flag(CKA_EXTRACTABLE), alwaysSensitive: flag(CKA_ALWAYS_SENSITIVE),
            neverExtractable: flag(CKA_NEVER_EXTRACTABLE), local: flag(CKA_LOCAL))
    }

    private func algorithm(ofPrivateKey handle: CK_OBJECT_HANDLE) throws -> KeyAlgorithm? {
        Self.algorithm(from: try readAttributes(handle, Self.algorithmAttributes))
    }

    /// The attributes ``algorithm(from:)`` needs, of a private- or public-key object.
    static let algorithmAttributes = [UInt(CKA_KEY_TYPE), UInt(CKA_EC_PARAMS), UInt(CKA_MODULUS)]

    /// The key type Signet calls `values` (CKA_KEY_TYPE with the curve or modulus size), or nil for one it does not use.
    static func algorithm(from values: [UInt: [UInt8]]) -> KeyAlgorithm? {
        guard let typeBytes = values[UInt(CKA_KEY_TYPE)], typeBytes.count == MemoryLayout<CK_ULONG>.size else { return nil }
        let keyType = typeBytes.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) }
        if keyType == CKK_EC, let params = values[UInt(CKA_EC_PARAMS)] {
            return KeyAlgorithm.allCases.first { $0.isEC && Self.ecParameters($0) == params }
        }
        if keyType == CKK_RSA, let modulus = values[UInt(CKA_MODULUS)] {
            let bits = modulus.drop(while: { $0 == 0 }).count * 8
            return KeyAlgorithm.allCases.first { $0.rsaModulusBits == bits }
        }
        return nil
    }

    private func readPublicKey(_ handle: CK_OBJECT_HANDLE, _ algorithm: KeyAlgorithm, _ reference: KeyReference) throws -> Certificate.PublicKey {
        try Self.publicKey(from: try readAttributes(handle, Self.publicKeyAttributes), algorithm, reference)
    }

    /// The attributes ``publicKey(from:_:_:)`` needs.
    static let publicKeyAttributes = [UInt(CKA_EC_POINT), UInt(CKA_MODULUS), UInt(CKA_PUBLIC_EXPONENT)]

    /// The public key held in a public-key object's attributes.
    static func publicKey(from values: [UInt: [UInt8]], _ algorithm: KeyAlgorithm, _ reference: KeyReference) throws -> Certificate.PublicKey {
        do {
            switch algorithm {
            case .ecP256, .ecP384:
                guard let encoded = values[UInt(CKA_EC_POINT)] else {
                    throw HSMError(.pkcs11, "Token returned no CKA_EC_POINT for \(reference)")
                }
                let point = try Self.unwrapECPoint(encoded)
                return algorithm == .ecP256
                    ? Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: point))
                    : Certificate.PublicKey(try P384.Signing.PublicKey(x963Representation: point))
            case .rsa2048, .rsa3072, .rsa4096:
                guard let n = values[UInt(CKA_MODULUS)], let e = values[UInt(CKA_PUBLIC_EXPONENT)] else {
                    throw HSMError(.pkcs11, "Token returned no modulus or exponent for \(reference)")
                }
                return Certificate.PublicKey(try _RSA.Signing.PublicKey(n: n, e: e))
            }
        } catch let error as HSMError {
            throw error
        } catch {
            throw HSMError(.pkcs11, "Public key of \(reference) read from the token does not parse: \(error)")
        }
    }

    /// CKA_EC_POINT is a DER OCTET STRING around the X9.62 point (PKCS#11 v2.40 §2.3.3); some
    /// modules return the bare point. Accept both.
    static func unwrapECPoint(_ encoded: [UInt8]) throws -> [UInt8] {
        if let first = encoded.first, first == 0x04, let node = try? DER.parse(encoded), case .primitive(let content) = node.content,
           content.first == 0x04, node.encodedBytes.count == encoded.count {
            return Array(content)
        }
        return encoded
    }

    /// DER of the named-curve OID, as CKA_EC_PARAMS wants it.
    static func ecParameters(_ algorithm: KeyAlgorithm) -> [UInt8] {
        switch algorithm {
        case .ecP256: return [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
        case .ecP384: return [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]
        default: return []
        }
    }

    /// Reads attributes in two passes (sizes, then values). Attributes the token withholds
    /// (CKR_ATTRIBUTE_SENSITIVE, absent types) come back as nil rather than failing the whole read.
    private func readAttributes(_ handle: CK_OBJECT_HANDLE, _ types: [UInt]) throws -> [UInt: [UInt8]] {
        try pool.withSession { session in try module.readAttributes(handle, types, in: session) }
    }

    private func findObjects(id: [UInt8]?, objectClass: UInt?, tokenObjectsOnly: Bool = true) throws -> [CK_OBJECT_HANDLE] {
        try pool.withSession { session in
            try module.findObjects(in: session, id: id, objectClass: objectClass, tokenObjectsOnly: tokenObjectsOnly)
        }
    }

    /// The handle to sign with: an in-token session copy of the private key when the token allows
    /// one, else the token object itself.
    ///
    /// Why: SoftHSM2 re-reads a token object's file (and the token's generation file, under file
    /// locks) on every operation, which made C_SignInit + C_Sign cost ~80 µs; on a session copy the
    /// same signature costs ~55 µs. The copy is made by C_CopyObject with CKA_TOKEN false only: it
    /// stays inside the token, keeps CKA_SENSITIVE and CKA_EXTRACTABLE as they are (PKCS#11 lets a
    /// copy only tighten them, and this checks it), is never written to the token's storage, and
    /// vanishes with the session that made it, at the latest when the process ends. Lookups,
    /// inventory and protection checks see token objects only; `destroyKey` destroys copies too.
    private func signingHandle(for tokenHandle: CK_OBJECT_HANDLE, _ reference: KeyReference) -> CK_OBJECT_HANDLE {
        let template = AttributeTemplate()
        template.add(UInt(CKA_TOKEN), false)
        var copy: CK_OBJECT_HANDLE = 0
        let copied: Bool = (try? pool.withSession(retrying: false) { session in
            template.withAttributes { attributes, count in functions.C_CopyObject!(session, tokenHandle, attributes, count, &copy) } == CKR_OK
        }) ?? false
        guard copied else { return tokenHandle }
        let protection = try? readProtection(copy, reference)
        guard let protection, !protection.onToken, protection.sensitive, !protection.extractable, protection.neverExtractable else {
            _ = try? pool.withSession(retrying: false) { session in functions.C_DestroyObject!(session, copy) }
            return tokenHandle
        }
        return copy
    }
}

extension PKCS11Module {
    /// Reads attributes in two passes (sizes, then values) in a session the caller holds. Attributes
    /// the token withholds (CKR_ATTRIBUTE_SENSITIVE, absent types) come back as nil rather than
    /// failing the whole read.
    func readAttributes(_ handle: CK_OBJECT_HANDLE, _ types: [UInt], in session: CK_SESSION_HANDLE) throws -> [UInt: [UInt8]] {
        var result: [UInt: [UInt8]] = [:]
        for type in types {
            var probe = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: nil, ulValueLen: 0)
            let rv = functions.C_GetAttributeValue!(session, handle, &probe, 1)
            if rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID { continue }
            try check(rv, "C_GetAttributeValue", "reading attribute 0x\(String(type, radix: 16))")
            // CK_UNAVAILABLE_INFORMATION, or a size no object of ours has: not read.
            guard probe.ulValueLen != CK_ULONG.max, probe.ulValueLen <= 1 << 20 else { continue }
            var buffer = [UInt8](repeating: 0, count: Int(probe.ulValueLen))
            try buffer.withUnsafeMutableBytes { raw in
                var attribute = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: raw.baseAddress, ulValueLen: CK_ULONG(raw.count))
                try check(functions.C_GetAttributeValue!(session, handle, &attribute, 1), "C_GetAttributeValue", "reading attribute 0x\(String(type, radix: 16))")
            }
            result[type] = buffer
        }
        return result
    }

    /// The handles of the objects with this CKA_ID and class (either may be nil for "any"), searched
    /// in a session the caller already holds; token objects only unless `tokenObjectsOnly` is false
    /// (then this process's session copies too).
    func findObjects(in session: CK_SESSION_HANDLE, id: [UInt8]?, objectClass: UInt?, tokenObjectsOnly: Bool = true) throws -> [CK_OBJECT_HANDLE] {
        let template = AttributeTemplate()
        if tokenObjectsOnly { template.add(UInt(CKA_TOKEN), true) }
        if let objectClass { template.add(UInt(CKA_CLASS), ulong: objectClass) }
        if let id { template.add(UInt(CKA_ID), bytes: id) }
        return try findObjects(in: session, matching: template)
    }

    /// The handles of the objects matching every attribute of `template`.
    func findObjects(in session: CK_SESSION_HANDLE, matching template: AttributeTemplate) throws -> [CK_OBJECT_HANDLE] {
        try template.withAttributes { attributes, count in
            try check(functions.C_FindObjectsInit!(session, attributes, count), "C_FindObjectsInit", "searching the token")
        }
        defer { _ = functions.C_FindObjectsFinal!(session) }
        var found: [CK_OBJECT_HANDLE] = []
        var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 64)
        while true {
            var count: CK_ULONG = 0
            try check(functions.C_FindObjects!(session, &batch, CK_ULONG(batch.count), &count), "C_FindObjects", "searching the token")
            if count == 0 { break }
            found += batch.prefix(Int(count))
        }
        return found
    }
}
