/// What Signet is asked to sign for one C_Sign or C_SignFinal: a digest and its algorithm, derived from
/// the mechanism's input so that Signet's signature is the very one the mechanism defines.
public struct RemoteSignatureRequest: Sendable, Equatable {
    public let digest: [UInt8]
    public let algorithm: RemoteDigest

    public init(digest: [UInt8], algorithm: RemoteDigest) {
        self.digest = digest
        self.algorithm = algorithm
    }

    /// The request for `input`: the digest computed here for a hashing mechanism, the caller's
    /// digest for CKM_ECDSA, the digest inside the caller's DigestInfo for CKM_RSA_PKCS.
    public static func make(mechanism: SignMechanism, input: [UInt8], key: PublicKeyFields) throws(CryptokiError) -> RemoteSignatureRequest {
        guard mechanism.accepts(key) else { throw .keyTypeInconsistent }
        if let hash = mechanism.hash {
            // `input` is the finished hash (see SignOperation).
            guard input.count == hash.length else { throw .generalError }
            return RemoteSignatureRequest(digest: input, algorithm: hash)
        }
        switch key {
        case .ec(let curve, _, _):
            // ECDSA signs the integer made of the digest's leftmost bits, as many as the order has
            // (FIPS 186-5 §6.4.1). SHA-2 lengths go as they are (Signet's HSM applies that rule);
            // others become the same integer at the curve's length: shorter ones padded on the left
            // with zeros, longer ones cut to their leftmost octets (P-256 and P-384 orders are whole octets).
            guard !input.isEmpty, input.count <= SignMechanism.maximumRawInput else { throw .dataLengthRange }
            if let algorithm = RemoteDigest(length: input.count) {
                return RemoteSignatureRequest(digest: input, algorithm: algorithm)
            }
            let length = curve.coordinateLength
            let digest = input.count < length ? [UInt8](repeating: 0, count: length - input.count) + input : Array(input.prefix(length))
            guard let algorithm = RemoteDigest(length: length) else { throw .generalError }
            return RemoteSignatureRequest(digest: digest, algorithm: algorithm)
        case .rsa(let modulus, _):
            // PKCS#1 v1.5 pads at least 11 octets (RFC 8017 §9.2 step 3).
            guard input.count <= modulus.count - 11 else { throw .dataLengthRange }
            for algorithm in RemoteDigest.allCases where input.count == algorithm.digestInfoPrefix.count + algorithm.length {
                if Array(input.prefix(algorithm.digestInfoPrefix.count)) == algorithm.digestInfoPrefix {
                    return RemoteSignatureRequest(digest: Array(input.suffix(algorithm.length)), algorithm: algorithm)
                }
            }
            // Signet signs digests, so the input must be a SHA-2 DigestInfo exactly as Signet encodes it.
            throw .dataInvalid
        }
    }

    /// The mechanism's output from Signet's signature: r‖s for EC (Signet sends DER), the signature
    /// octets for RSA, which must be as long as the modulus.
    public static func output(fromSignet signature: [UInt8], key: PublicKeyFields) throws(PKCS11ParseError) -> [UInt8] {
        switch key {
        case .ec(let curve, _, _):
            return try ECDSASignatureCoding.raw(fromDER: signature, coordinateLength: curve.coordinateLength)
        case .rsa(let modulus, _):
            guard signature.count == modulus.count else {
                throw PKCS11ParseError("Expected an RSA signature of \(modulus.count) octets, got \(signature.count)")
            }
            return signature
        }
    }
}
