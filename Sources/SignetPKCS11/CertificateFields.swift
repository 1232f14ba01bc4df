import SwiftASN1

/// The parts of an X.509 certificate a PKCS#11 consumer reads, as the exact DER octets the
/// certificate carries (PKCS#11 §4.6.3: CKA_SUBJECT, CKA_ISSUER and CKA_SERIAL_NUMBER are DER):
/// tools such as Java's keystore find a chain by matching one certificate's issuer octets against
/// another's subject, so nothing here is decoded and re-encoded.
///
/// ```
/// Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
/// TBSCertificate ::= SEQUENCE {
///     version [0] EXPLICIT Version DEFAULT v1, serialNumber INTEGER, signature AlgorithmIdentifier,
///     issuer Name, validity Validity, subject Name, subjectPublicKeyInfo SubjectPublicKeyInfo, ... }
/// ```
public struct CertificateFields: Sendable, Equatable {
    public let der: [UInt8]
    /// The serial number's full DER INTEGER (tag, length, value).
    public let serialNumber: [UInt8]
    public let issuer: [UInt8]
    public let subject: [UInt8]
    public let publicKey: PublicKeyFields
    /// The whole SubjectPublicKeyInfo (CKA_PUBLIC_KEY_INFO).
    public let subjectPublicKeyInfo: [UInt8]
    /// The subjectPublicKey BIT STRING's octets, what RFC 5280 §4.2.1.2 (1) hashes into a key identifier.
    public let subjectPublicKeyBits: [UInt8]
    /// The subject's first commonName, for labels.
    public let commonName: String?

    public init(der: [UInt8]) throws(PKCS11ParseError) {
        do {
            let certificate = try DER.parse(der)
            let top = try Self.children(of: certificate, "Certificate")
            guard let tbsNode = top.first else { throw PKCS11ParseError("Expected a TBSCertificate, got an empty Certificate") }
            var fields = try Self.children(of: tbsNode, "TBSCertificate")[...]
            if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                fields = fields.dropFirst()
            }
            let wanted = Array(fields.prefix(6))
            guard wanted.count == 6 else { throw PKCS11ParseError("Expected at least six TBSCertificate fields, got \(wanted.count)") }
            let (serial, _, issuer, _, subject, spki) = (wanted[0], wanted[1], wanted[2], wanted[3], wanted[4], wanted[5])
            guard serial.identifier == .integer else { throw PKCS11ParseError("Expected the serial number INTEGER, got tag \(serial.identifier)") }
            guard issuer.identifier == .sequence, subject.identifier == .sequence else { throw PKCS11ParseError("Expected issuer and subject Names") }
            self.der = der
            self.serialNumber = Array(serial.encodedBytes)
            self.issuer = Array(issuer.encodedBytes)
            self.subject = Array(subject.encodedBytes)
            self.publicKey = try PublicKeyFields(subjectPublicKeyInfo: spki)
            self.subjectPublicKeyInfo = Array(spki.encodedBytes)
            guard case .constructed(let spkiParts) = spki.content, let bits = Array(spkiParts).last, case .primitive(let content) = bits.content else {
                throw PKCS11ParseError("Expected the public key BIT STRING")
            }
            self.subjectPublicKeyBits = Array(content.dropFirst())
            self.commonName = Self.commonName(in: subject)
        } catch let error as PKCS11ParseError {
            throw error
        } catch {
            throw PKCS11ParseError("Expected a DER certificate: \(error)")
        }
    }

    /// The elements of a constructed SEQUENCE node.
    static func children(of node: ASN1Node, _ what: String) throws(PKCS11ParseError) -> [ASN1Node] {
        guard node.identifier == .sequence, case .constructed(let nodes) = node.content else {
            throw PKCS11ParseError("Expected \(what) to be a SEQUENCE, got tag \(node.identifier)")
        }
        return Array(nodes)
    }

    /// Name ::= SEQUENCE OF SET OF AttributeTypeAndValue; AttributeTypeAndValue ::= SEQUENCE { type, value }.
    static func commonName(in name: ASN1Node) -> String? {
        guard case .constructed(let rdns) = name.content else { return nil }
        for rdn in rdns {
            guard case .constructed(let attributes) = rdn.content else { continue }
            for attribute in attributes {
                guard case .constructed(let parts) = attribute.content else { continue }
                let pair = Array(parts)
                guard pair.count == 2, let type = try? ASN1ObjectIdentifier(derEncoded: pair[0]), type == ASN1ObjectIdentifier.NameAttributes.commonName,
                      case .primitive(let value) = pair[1].content else { continue }
                // UTF8String, PrintableString and IA5String are all ASCII-compatible; others are not labels.
                guard [ASN1Identifier.utf8String, .printableString, .ia5String].contains(pair[1].identifier) else { continue }
                return String(decoding: value, as: UTF8.self)
            }
        }
        return nil
    }
}
