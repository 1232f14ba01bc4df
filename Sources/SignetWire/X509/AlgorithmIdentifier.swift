import SwiftASN1
import X509

/// `AlgorithmIdentifier` (RFC 5280 §4.1.1.2) for the signature and digest algorithms Signet writes
/// into CRLs, OCSP responses, timestamp tokens and CMS. (swift-certificates keeps its own internal.)
///
/// ```
/// AlgorithmIdentifier ::= SEQUENCE {
///      algorithm               OBJECT IDENTIFIER,
///      parameters              ANY DEFINED BY algorithm OPTIONAL }
/// ```
/// RSA algorithms carry an explicit NULL parameter (RFC 4055 §5); ECDSA algorithms carry none
/// (RFC 5758 §3.2); hash algorithms are written without parameters (RFC 5754 §2) and read either way.
public struct AlgorithmIdentifier: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var algorithm: ASN1ObjectIdentifier
    /// Encoded parameters, if any.
    public var parameters: ASN1Any?

    public init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Any? = nil) {
        self.algorithm = algorithm
        self.parameters = parameters
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        (self.algorithm, self.parameters) = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameters = nodes.next().map { ASN1Any(derEncoded: $0) }
            return (oid, parameters)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(algorithm)
            if let parameters { try coder.serialize(parameters) }
        }
    }

    static let null = try! ASN1Any(erasing: ASN1Null())

    public static let ecdsaWithSHA256 = AlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 2])
    public static let ecdsaWithSHA384 = AlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 3])
    public static let ecdsaWithSHA512 = AlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 4])
    public static let sha256WithRSAEncryption = AlgorithmIdentifier(algorithm: [1, 2, 840, 113549, 1, 1, 11], parameters: null)
    public static let sha384WithRSAEncryption = AlgorithmIdentifier(algorithm: [1, 2, 840, 113549, 1, 1, 12], parameters: null)
    public static let sha512WithRSAEncryption = AlgorithmIdentifier(algorithm: [1, 2, 840, 113549, 1, 1, 13], parameters: null)
    public static let sha256 = AlgorithmIdentifier(algorithm: [2, 16, 840, 1, 101, 3, 4, 2, 1])
    public static let sha384 = AlgorithmIdentifier(algorithm: [2, 16, 840, 1, 101, 3, 4, 2, 2])
    public static let sha512 = AlgorithmIdentifier(algorithm: [2, 16, 840, 1, 101, 3, 4, 2, 3])
    public static let sha1 = AlgorithmIdentifier(algorithm: [1, 3, 14, 3, 2, 26])

    /// The identifier for a swift-certificates signature algorithm.
    public init(_ signatureAlgorithm: Certificate.SignatureAlgorithm) throws {
        switch signatureAlgorithm {
        case .ecdsaWithSHA256: self = .ecdsaWithSHA256
        case .ecdsaWithSHA384: self = .ecdsaWithSHA384
        case .ecdsaWithSHA512: self = .ecdsaWithSHA512
        case .sha256WithRSAEncryption: self = .sha256WithRSAEncryption
        case .sha384WithRSAEncryption: self = .sha384WithRSAEncryption
        case .sha512WithRSAEncryption: self = .sha512WithRSAEncryption
        default: throw WireError.unsupported("signature algorithm \(signatureAlgorithm)")
        }
    }

    /// Equality that treats an absent and a NULL parameter alike, as RFC 5754 §2 asks of readers.
    public func matches(_ other: AlgorithmIdentifier) -> Bool {
        guard algorithm == other.algorithm else { return false }
        let isNullOrAbsent: (ASN1Any?) -> Bool = { $0 == nil || $0 == Self.null }
        return parameters == other.parameters || (isNullOrAbsent(parameters) && isNullOrAbsent(other.parameters))
    }
}
