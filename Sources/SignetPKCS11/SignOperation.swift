/// A signing operation between C_SignInit and the C_Sign or C_SignFinal that ends it: the mechanism,
/// the key, and the input so far, hashed as it arrives for the `_SHA*` mechanisms and kept (bounded)
/// for the raw ones. Pure, so the two-call and multi-part rules are tested without a server.
public struct SignOperation: Sendable {
    public let mechanism: SignMechanism
    public let key: TokenContents.RemoteKey
    private var hash: IncrementalHash?
    private var raw: [UInt8] = []

    public init(mechanism: SignMechanism, key: TokenContents.RemoteKey) throws(CryptokiError) {
        guard mechanism.accepts(key.publicKey) else { throw .keyTypeInconsistent }
        self.mechanism = mechanism
        self.key = key
        self.hash = mechanism.hash?.hasher()
    }

    /// Octets C_Sign writes, known before signing: callers ask for it first (PKCS#11 §5.2).
    public var signatureLength: Int { key.publicKey.signatureLength }

    /// C_SignUpdate: one more part of the input.
    public mutating func update(_ part: UnsafeRawBufferPointer) throws(CryptokiError) {
        if hash != nil {
            hash!.update(part)
        } else {
            guard raw.count + part.count <= SignMechanism.maximumRawInput else { throw .dataLengthRange }
            raw.append(contentsOf: part)
        }
    }

    /// The mechanism's input once `last` (C_Sign's data, or nothing for C_SignFinal) is added: the
    /// finished hash, or the raw octets. The operation itself is unchanged, so a length query or a
    /// buffer too small leaves it as it was.
    public func input(adding last: UnsafeRawBufferPointer) throws(CryptokiError) -> [UInt8] {
        if var hash {
            hash.update(last)
            return hash.finalize()
        }
        guard raw.count + last.count <= SignMechanism.maximumRawInput else { throw .dataLengthRange }
        return raw + Array(last)
    }
}
