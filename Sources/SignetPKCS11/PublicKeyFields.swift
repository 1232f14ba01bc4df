import SwiftASN1

/// A certificate's public key in the shapes PKCS#11 attributes take: for EC the curve's OID as DER
/// (CKA_EC_PARAMS) and the uncompressed point (CKA_EC_POINT wraps it in an OCTET STRING); for RSA the
/// modulus and public exponent as unsigned big-endian integers (CKA_MODULUS, CKA_PUBLIC_EXPONENT).
///
/// ```
/// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
/// ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER, ... }            -- RFC 5480 §2.1.1
/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }    -- RFC 8017 §A.1.1
/// ```
public enum PublicKeyFields: Sendable, Equatable {
    case ec(curve: ECCurve, parameters: [UInt8], point: [UInt8])
    case rsa(modulus: [UInt8], exponent: [UInt8])

    /// The named curves Signet generates keys on.
    public enum ECCurve: Sendable, Equatable {
        case p256
        case p384

        /// Octets in one coordinate, and in each of r and s of a signature.
        public var coordinateLength: Int { self == .p256 ? 32 : 48 }
    }

    init(subjectPublicKeyInfo node: ASN1Node) throws(PKCS11ParseError) {
        let parts = try CertificateFields.children(of: node, "SubjectPublicKeyInfo")
        guard parts.count == 2 else { throw PKCS11ParseError("Expected algorithm and key in SubjectPublicKeyInfo, got \(parts.count) elements") }
        let algorithm = try CertificateFields.children(of: parts[0], "AlgorithmIdentifier")
        guard let algorithmOID = algorithm.first.flatMap({ try? ASN1ObjectIdentifier(derEncoded: $0) }) else {
            throw PKCS11ParseError("Expected an algorithm OID in SubjectPublicKeyInfo")
        }
        guard parts[1].identifier == .bitString, case .primitive(let bitString) = parts[1].content, bitString.first == 0 else {
            throw PKCS11ParseError("Expected the public key as a BIT STRING without unused bits")
        }
        let key = Array(bitString.dropFirst())
        switch algorithmOID {
        case ASN1ObjectIdentifier.AlgorithmIdentifier.idEcPublicKey:
            guard algorithm.count == 2, let curveOID = try? ASN1ObjectIdentifier(derEncoded: algorithm[1]) else {
                throw PKCS11ParseError("Expected a named curve in the EC key's parameters")
            }
            let curve: ECCurve
            switch curveOID {
            case ASN1ObjectIdentifier.NamedCurves.secp256r1: curve = .p256
            case ASN1ObjectIdentifier.NamedCurves.secp384r1: curve = .p384
            default: throw PKCS11ParseError("Expected a P-256 or P-384 key, got curve \(curveOID)")
            }
            guard key.count == 1 + 2 * curve.coordinateLength, key.first == 0x04 else {
                throw PKCS11ParseError("Expected an uncompressed \(curve) point of \(1 + 2 * curve.coordinateLength) octets, got \(key.count)")
            }
            self = .ec(curve: curve, parameters: Array(algorithm[1].encodedBytes), point: key)
        case ASN1ObjectIdentifier.AlgorithmIdentifier.rsaEncryption:
            let rsaKey: ASN1Node
            do {
                rsaKey = try DER.parse(key)
            } catch {
                throw PKCS11ParseError("Expected an RSAPublicKey: \(error)")
            }
            let integers = try CertificateFields.children(of: rsaKey, "RSAPublicKey")
            guard integers.count == 2, integers.allSatisfy({ $0.identifier == .integer }),
                  case .primitive(let modulus) = integers[0].content, case .primitive(let exponent) = integers[1].content else {
                throw PKCS11ParseError("Expected RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }")
            }
            let n = Self.unsigned(modulus), e = Self.unsigned(exponent)
            guard n.count >= 128, !e.isEmpty, modulus.first.map({ $0 & 0x80 == 0 }) == true else {
                throw PKCS11ParseError("Expected a positive RSA modulus of at least 1024 bits")
            }
            self = .rsa(modulus: n, exponent: e)
        default:
            throw PKCS11ParseError("Expected an EC or RSA public key, got algorithm \(algorithmOID)")
        }
    }

    /// A DER INTEGER's content without the sign octet.
    static func unsigned(_ content: ArraySlice<UInt8>) -> [UInt8] {
        Array(content.drop(while: { $0 == 0 }))
    }

    /// Octets in a signature made with this key: r and s for EC, the modulus length for RSA.
    public var signatureLength: Int {
        switch self {
        case .ec(let curve, _, _): return 2 * curve.coordinateLength
        case .rsa(let modulus, _): return modulus.count
        }
    }

    /// The modulus size in bits (RSA), or the curve's order size (EC).
    public var keySizeInBits: Int {
        switch self {
        case .ec(let curve, _, _): return curve.coordinateLength * 8
        case .rsa(let modulus, _):
            guard let first = modulus.first else { return 0 }
            return (modulus.count - 1) * 8 + (8 - first.leadingZeroBitCount)
        }
    }
}
