import CPKCS11
import Crypto
import Foundation
import Metrics
import SignetCore
import Synchronization
import X509

/// A private key that lives in the token. It holds the object handle, found once, and the session
/// pool; signing hashes nothing (the caller does, in software) and sends only the digest to the token
/// (CKM_ECDSA / CKM_RSA_PKCS over a DigestInfo). It has no way to read the private key: the token
/// marks it sensitive and non-extractable and this type never asks.
public struct HSMKey: SigningKey {
    public let reference: KeyReference
    public let algorithm: KeyAlgorithm
    public let publicKey: Certificate.PublicKey
    /// Shared by every copy of this key, so a handle found again after the token dropped its
    /// sessions serves them all.
    let handle: ObjectHandleCell
    let pool: HSMSessionPool

    init(reference: KeyReference, algorithm: KeyAlgorithm, publicKey: Certificate.PublicKey, handle: CK_OBJECT_HANDLE, pool: HSMSessionPool) {
        self.reference = reference
        self.algorithm = algorithm
        self.publicKey = publicKey
        self.handle = ObjectHandleCell(handle)
        self.pool = pool
    }

    public func signDigest(_ digest: [UInt8], algorithm digestAlgorithm: DigestAlgorithm) throws -> [UInt8] {
        guard digest.count == digestAlgorithm.outputLength else {
            throw SignetError.malformed("Expected a \(digestAlgorithm.outputLength)-octet \(digestAlgorithm.rawValue) digest, got \(digest.count) octets")
        }
        var input: [UInt8]
        var mechanism = CK_MECHANISM()
        let outputLength: Int
        switch algorithm {
        case .ecP256, .ecP384:
            mechanism.mechanism = CK_MECHANISM_TYPE(CKM_ECDSA)
            input = digest
            outputLength = algorithm == .ecP256 ? 64 : 96
        case .rsa2048, .rsa3072, .rsa4096:
            mechanism.mechanism = CK_MECHANISM_TYPE(CKM_RSA_PKCS)
            input = digestAlgorithm.digestInfoPrefix + digest
            outputLength = algorithm.rsaModulusBits! / 8
        }
        let functions = pool.module.functions
        let started = DispatchTime.now().uptimeNanoseconds
        // Time spent in the token per signature, including waiting for a free session. The timer is
        // looked up per call so it binds to whatever metrics backend is bootstrapped by then.
        defer { Timer(label: "signet_hsm_sign_seconds").recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started)) }
        let raw: [UInt8] = try pool.withSession { session in
            func sign(with object: CK_OBJECT_HANDLE) throws -> [UInt8] {
                Failpoints.delay(Failpoints.slowSigning)
                try pool.module.check(functions.C_SignInit!(session, &mechanism, object), "C_SignInit", "starting a signature with \(reference)")
                var signature = [UInt8](repeating: 0, count: outputLength)
                var length = CK_ULONG(outputLength)
                try pool.module.check(functions.C_Sign!(session, &input, CK_ULONG(input.count), &signature, &length), "C_Sign", "signing with \(reference)")
                return Array(signature.prefix(Int(length)))
            }
            do {
                return try sign(with: handle.current)
            } catch let error as HSMError where [CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID].map({ CK_RV($0) }).contains(error.returnValue ?? 0) {
                // Handles need not survive a logout (PKCS#11 §2.4): after the token dropped its
                // sessions, find the key again by its CKA_ID.
                guard let found = try pool.module.findObjects(in: session, id: reference.id, objectClass: UInt(CKO_PRIVATE_KEY)).first else {
                    throw HSMError(.keyNotFound, "Key \(reference) is no longer in token '\(pool.tokenLabel)'; it was destroyed or the store and token disagree (see `signet inventory`)")
                }
                handle.replace(found)
                return try sign(with: found)
            }
        }
        switch algorithm {
        case .ecP256, .ecP384:
            guard raw.count == outputLength, let der = ECDSASignatureEncoding.der(fromRaw: raw) else {
                throw HSMError(.pkcs11, "The token returned a \(raw.count)-octet ECDSA signature for \(reference); expected \(outputLength)")
            }
            return der
        case .rsa2048, .rsa3072, .rsa4096:
            return raw
        }
    }
}

/// The token's current handle for one key object.
final class ObjectHandleCell: Sendable {
    private let value: Mutex<CK_OBJECT_HANDLE>

    init(_ handle: CK_OBJECT_HANDLE) { value = Mutex(handle) }

    var current: CK_OBJECT_HANDLE { value.withLock { $0 } }

    func replace(_ handle: CK_OBJECT_HANDLE) { value.withLock { $0 = handle } }
}
