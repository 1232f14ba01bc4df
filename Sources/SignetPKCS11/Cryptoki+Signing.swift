import CPKCS11

/// Signing (PKCS#11 §5.11): every signature is one call to Signet's signing API with a digest, made
/// without the lock held. The signature's length is known from the key before signing, so a length
/// query or a buffer too small never costs (or audits) a remote signature.
extension Cryptoki {
    public func signInit(_ handle: CK_SESSION_HANDLE, _ mechanism: UnsafeMutablePointer<CK_MECHANISM>?, _ key: CK_OBJECT_HANDLE) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard var session = live.sessions[handle] else { throw .sessionInvalid }
                guard let mechanism else { throw .argumentsBad }
                guard session.signing == nil else { throw .operationActive }
                guard let type = SignMechanism(type: mechanism.pointee.mechanism) else { throw .mechanismInvalid }
                guard mechanism.pointee.pParameter == nil && mechanism.pointee.ulParameterLen == 0 else { throw .mechanismParameterInvalid }
                guard let remote = live.token?.keys[key] else { throw .keyInvalid }
                session.signing = try SignOperation(mechanism: type, key: remote)
                live.sessions[handle] = session
            }
        }
    }

    public func sign(_ handle: CK_SESSION_HANDLE, _ data: UnsafeMutablePointer<CK_BYTE>?, _ dataLength: CK_ULONG,
                     _ signature: UnsafeMutablePointer<CK_BYTE>?, _ signatureLength: UnsafeMutablePointer<CK_ULONG>?) -> CK_RV {
        finish(handle, last: data, lastLength: dataLength, signature: signature, signatureLength: signatureLength)
    }

    public func signUpdate(_ handle: CK_SESSION_HANDLE, _ part: UnsafeMutablePointer<CK_BYTE>?, _ partLength: CK_ULONG) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard var session = live.sessions[handle] else { throw .sessionInvalid }
                guard var operation = session.signing else { throw .operationNotInitialized }
                // Any error ends the operation (PKCS#11 §5.11 C_SignUpdate).
                session.signing = nil
                live.sessions[handle] = session
                let length = try Self.length(partLength)
                guard part != nil || length == 0 else { throw .argumentsBad }
                try operation.update(UnsafeRawBufferPointer(start: part, count: length))
                session.signing = operation
                live.sessions[handle] = session
            }
        }
    }

    public func signFinal(_ handle: CK_SESSION_HANDLE, _ signature: UnsafeMutablePointer<CK_BYTE>?, _ signatureLength: UnsafeMutablePointer<CK_ULONG>?) -> CK_RV {
        finish(handle, last: nil, lastLength: 0, signature: signature, signatureLength: signatureLength)
    }

    /// C_Sign and C_SignFinal: the length convention first, then the remote signature.
    func finish(_ handle: CK_SESSION_HANDLE, last: UnsafeMutablePointer<CK_BYTE>?, lastLength: CK_ULONG,
                signature: UnsafeMutablePointer<CK_BYTE>?, signatureLength: UnsafeMutablePointer<CK_ULONG>?) -> CK_RV {
        struct Pending {
            let api: SignetAPI
            let diagnostics: Diagnostics
            let key: TokenContents.RemoteKey
            let request: RemoteSignatureRequest
        }
        let pending: Pending?
        do {
            pending = try withLive { live throws(CryptokiError) -> Pending? in
                guard var session = live.sessions[handle] else { throw .sessionInvalid }
                guard let operation = session.signing else { throw .operationNotInitialized }
                let required = CK_ULONG(operation.signatureLength)
                // A length query and a buffer too small keep the operation (PKCS#11 §5.2); everything else ends it.
                if let signatureLength {
                    if signature == nil {
                        signatureLength.pointee = required
                        return nil
                    }
                    if signatureLength.pointee < required {
                        signatureLength.pointee = required
                        throw .bufferTooSmall
                    }
                }
                session.signing = nil
                live.sessions[handle] = session
                guard signatureLength != nil else { throw .argumentsBad }
                let length = try Self.length(lastLength)
                guard last != nil || length == 0 else { throw .argumentsBad }
                let input = try operation.input(adding: UnsafeRawBufferPointer(start: last, count: length))
                let request = try RemoteSignatureRequest.make(mechanism: operation.mechanism, input: input, key: operation.key.publicKey)
                return Pending(api: live.api, diagnostics: live.diagnostics, key: operation.key, request: request)
            }
        } catch {
            return error.rv
        }
        guard let pending, let signature, let signatureLength else { return CK_RV(CKR_OK) }
        let output: [UInt8]
        do {
            let signed = try pending.api.sign(keyID: pending.key.keyID, pending.request)
            output = try RemoteSignatureRequest.output(fromSignet: signed, key: pending.key.publicKey)
        } catch let failure as SignetFailure {
            pending.diagnostics.debug("signing with key \(pending.key.keyID) (release \(pending.key.release)) failed: \(failure) → \(ReturnValueName.name(failure.signReturnValue))")
            return failure.signReturnValue
        } catch {
            pending.diagnostics.debug("signing with key \(pending.key.keyID) (release \(pending.key.release)): \(error)")
            return CK_RV(CKR_DEVICE_ERROR)
        }
        // The caller's buffer was checked against the key's signature length, which this output has.
        guard CK_ULONG(output.count) <= signatureLength.pointee else { return CK_RV(CKR_DEVICE_ERROR) }
        output.withUnsafeBytes { UnsafeMutableRawPointer(signature).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        signatureLength.pointee = CK_ULONG(output.count)
        pending.diagnostics.debug("signed with key \(pending.key.keyID) (release \(pending.key.release)), \(pending.request.algorithm.name) digest")
        return CK_RV(CKR_OK)
    }
}
