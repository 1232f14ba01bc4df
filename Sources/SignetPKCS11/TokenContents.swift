import CPKCS11
import Crypto
import SwiftASN1

/// Everything the token shows for one key listing: for each release key a private key, its public key
/// and its certificate (all with CKA_ID = the key id's octets and CKA_LABEL = the release), then each CA
/// certificate of the chains once. Pure: built from Signet's answer, tested without a server.
public struct TokenContents: Sendable {
    /// A release key the token can sign with.
    public struct RemoteKey: Sendable, Equatable {
        public let keyID: String
        public let release: String
        public let publicKey: PublicKeyFields
    }

    /// The token's label: the team, or "signet" for an admin's listing of every team.
    public let label: String
    public let principal: String
    /// In a stable order (the listing's, then the CA certificates').
    public let objects: [TokenObject]
    public let keys: [TokenObject.Identity: RemoteKey]
    /// Why keys of the listing were left out (a certificate that does not parse), for the debug log.
    public let skipped: [String]

    public init(listing: KeyListing) {
        var objects: [TokenObject] = []
        var keys: [TokenObject.Identity: RemoteKey] = [:]
        var skipped: [String] = []
        var authorities: [TokenObject] = []
        var seen: Set<String> = []
        for key in listing.keys {
            do {
                let certificate = try CertificateFields(der: try Self.der(fromPEM: key.certificate))
                let chain = try key.chain.map { pem throws(PKCS11ParseError) in try CertificateFields(der: try Self.der(fromPEM: pem)) }
                let id = Self.idOctets(key.keyID)
                let remote = RemoteKey(keyID: key.keyID, release: key.release, publicKey: certificate.publicKey)
                let privateKey = Self.privateKey(remote, id: id, certificate: certificate)
                guard keys[privateKey.identity] == nil else { continue }
                keys[privateKey.identity] = remote
                objects.append(privateKey)
                objects.append(Self.publicKey(remote, id: id, certificate: certificate))
                let leaf = Self.certificate(certificate, id: id, label: key.release, category: 1)
                seen.insert(Self.fingerprint(certificate.der))
                objects.append(leaf)
                for authority in chain where seen.insert(Self.fingerprint(authority.der)).inserted {
                    authorities.append(Self.certificate(authority, id: Array(Insecure.SHA1.hash(data: authority.subjectPublicKeyBits)),
                                                        label: authority.commonName ?? "Signet CA", category: 2))
                }
            } catch {
                skipped.append("key \(key.keyID) (release \(key.release)): \(error)")
            }
        }
        self.label = listing.team ?? "signet"
        self.principal = listing.principal
        self.objects = objects + authorities
        self.keys = keys
        self.skipped = skipped
    }

    /// The DER of a PEM certificate.
    static func der(fromPEM pem: String) throws(PKCS11ParseError) -> [UInt8] {
        do {
            let document = try PEMDocument(pemString: pem)
            guard document.discriminator == "CERTIFICATE" else { throw PKCS11ParseError("Expected a PEM CERTIFICATE, got \(document.discriminator)") }
            return document.derBytes
        } catch let error as PKCS11ParseError {
            throw error
        } catch {
            throw PKCS11ParseError("Expected a PEM certificate: \(error)")
        }
    }

    /// CKA_ID of a release key's objects: its id's octets (Signet's ids are hex), so `pkcs11-tool --id
    /// <key id>` and `pkcs11:id=%..` name the key by what Signet calls it.
    public static func idOctets(_ keyID: String) -> [UInt8] {
        let digits = Array(keyID.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return digits }
        var octets: [UInt8] = []
        octets.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return digits }
            octets.append(high << 4 | low)
        }
        return octets
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func fingerprint(_ der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
        }.joined()
    }

    // MARK: Attribute sets (PKCS#11 §4.4-4.9)

    typealias Attributes = [CK_ATTRIBUTE_TYPE: [UInt8]]

    static func common(_ objectClass: CK_OBJECT_CLASS, label: String, id: [UInt8]) -> Attributes {
        [
            CK_ATTRIBUTE_TYPE(CKA_CLASS): AttributeEncoding.ulong(objectClass),
            CK_ATTRIBUTE_TYPE(CKA_TOKEN): AttributeEncoding.bool(true),
            CK_ATTRIBUTE_TYPE(CKA_PRIVATE): AttributeEncoding.bool(false),
            CK_ATTRIBUTE_TYPE(CKA_MODIFIABLE): AttributeEncoding.bool(false),
            CK_ATTRIBUTE_TYPE(CKA_COPYABLE): AttributeEncoding.bool(false),
            CK_ATTRIBUTE_TYPE(CKA_DESTROYABLE): AttributeEncoding.bool(false),
            CK_ATTRIBUTE_TYPE(CKA_LABEL): AttributeEncoding.string(label),
            CK_ATTRIBUTE_TYPE(CKA_ID): id,
        ]
    }

    /// Attributes shared by both halves of a key: type, size and the public components.
    static func key(_ objectClass: CK_OBJECT_CLASS, _ key: RemoteKey, id: [UInt8], certificate: CertificateFields) -> Attributes {
        var attributes = common(objectClass, label: key.release, id: id)
        let mechanisms = SignMechanism.allCases.filter { $0.accepts(key.publicKey) }.map(\.type)
        attributes[CK_ATTRIBUTE_TYPE(CKA_SUBJECT)] = certificate.subject
        attributes[CK_ATTRIBUTE_TYPE(CKA_START_DATE)] = []
        attributes[CK_ATTRIBUTE_TYPE(CKA_END_DATE)] = []
        attributes[CK_ATTRIBUTE_TYPE(CKA_DERIVE)] = AttributeEncoding.bool(false)
        attributes[CK_ATTRIBUTE_TYPE(CKA_LOCAL)] = AttributeEncoding.bool(true)
        attributes[CK_ATTRIBUTE_TYPE(CKA_ALLOWED_MECHANISMS)] = AttributeEncoding.ulongs(mechanisms)
        attributes[CK_ATTRIBUTE_TYPE(CKA_PUBLIC_KEY_INFO)] = certificate.subjectPublicKeyInfo
        switch key.publicKey {
        case .ec(_, let parameters, let point):
            attributes[CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE)] = AttributeEncoding.ulong(CK_KEY_TYPE(CKK_EC))
            attributes[CK_ATTRIBUTE_TYPE(CKA_KEY_GEN_MECHANISM)] = AttributeEncoding.ulong(CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN))
            attributes[CK_ATTRIBUTE_TYPE(CKA_EC_PARAMS)] = parameters
            // CKA_EC_POINT is the DER OCTET STRING holding the point (PKCS#11 §2.3.3); libp11 reads it
            // from the private key too.
            attributes[CK_ATTRIBUTE_TYPE(CKA_EC_POINT)] = octetString(point)
        case .rsa(let modulus, let exponent):
            attributes[CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE)] = AttributeEncoding.ulong(CK_KEY_TYPE(CKK_RSA))
            attributes[CK_ATTRIBUTE_TYPE(CKA_KEY_GEN_MECHANISM)] = AttributeEncoding.ulong(CK_MECHANISM_TYPE(CKM_RSA_PKCS_KEY_PAIR_GEN))
            attributes[CK_ATTRIBUTE_TYPE(CKA_MODULUS)] = modulus
            attributes[CK_ATTRIBUTE_TYPE(CKA_MODULUS_BITS)] = AttributeEncoding.ulong(CK_ULONG(key.publicKey.keySizeInBits))
            attributes[CK_ATTRIBUTE_TYPE(CKA_PUBLIC_EXPONENT)] = exponent
        }
        return attributes
    }

    /// The release key itself: signs, and nothing of it can be read (it is in Signet's HSM).
    static func privateKey(_ remote: RemoteKey, id: [UInt8], certificate: CertificateFields) -> TokenObject {
        var attributes = key(CK_OBJECT_CLASS(CKO_PRIVATE_KEY), remote, id: id, certificate: certificate)
        for (type, value) in [(CKA_SIGN, true), (CKA_SENSITIVE, true), (CKA_ALWAYS_SENSITIVE, true), (CKA_NEVER_EXTRACTABLE, true),
                              (CKA_EXTRACTABLE, false), (CKA_DECRYPT, false), (CKA_SIGN_RECOVER, false), (CKA_UNWRAP, false),
                              (CKA_WRAP_WITH_TRUSTED, false), (CKA_ALWAYS_AUTHENTICATE, false)] {
            attributes[CK_ATTRIBUTE_TYPE(type)] = AttributeEncoding.bool(value)
        }
        let secret: [CK_ATTRIBUTE_TYPE]
        if case .ec = remote.publicKey {
            secret = [CK_ATTRIBUTE_TYPE(CKA_VALUE)]
        } else {
            secret = [CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT].map { CK_ATTRIBUTE_TYPE($0) }
        }
        return TokenObject(identity: .privateKey(keyID: remote.keyID), attributes: attributes, sensitive: Set(secret))
    }

    /// The public half, for tools that look for it beside the private key. CKA_VERIFY is false: the
    /// token does not verify (use the certificate's key).
    static func publicKey(_ remote: RemoteKey, id: [UInt8], certificate: CertificateFields) -> TokenObject {
        var attributes = key(CK_OBJECT_CLASS(CKO_PUBLIC_KEY), remote, id: id, certificate: certificate)
        for (type, value) in [(CKA_VERIFY, false), (CKA_ENCRYPT, false), (CKA_VERIFY_RECOVER, false), (CKA_WRAP, false), (CKA_TRUSTED, false)] {
            attributes[CK_ATTRIBUTE_TYPE(type)] = AttributeEncoding.bool(value)
        }
        return TokenObject(identity: .publicKey(keyID: remote.keyID), attributes: attributes)
    }

    /// An X.509 certificate object (PKCS#11 §4.6.3); category 1 is the token user's, 2 an authority.
    static func certificate(_ certificate: CertificateFields, id: [UInt8], label: String, category: CK_ULONG) -> TokenObject {
        var attributes = common(CK_OBJECT_CLASS(CKO_CERTIFICATE), label: label, id: id)
        attributes[CK_ATTRIBUTE_TYPE(CKA_CERTIFICATE_TYPE)] = AttributeEncoding.ulong(CK_CERTIFICATE_TYPE(CKC_X_509))
        attributes[CK_ATTRIBUTE_TYPE(CKA_TRUSTED)] = AttributeEncoding.bool(false)
        attributes[CK_ATTRIBUTE_TYPE(CKA_CERTIFICATE_CATEGORY)] = AttributeEncoding.ulong(category)
        attributes[CK_ATTRIBUTE_TYPE(CKA_SUBJECT)] = certificate.subject
        attributes[CK_ATTRIBUTE_TYPE(CKA_ISSUER)] = certificate.issuer
        attributes[CK_ATTRIBUTE_TYPE(CKA_SERIAL_NUMBER)] = certificate.serialNumber
        attributes[CK_ATTRIBUTE_TYPE(CKA_VALUE)] = certificate.der
        attributes[CK_ATTRIBUTE_TYPE(CKA_START_DATE)] = []
        attributes[CK_ATTRIBUTE_TYPE(CKA_END_DATE)] = []
        attributes[CK_ATTRIBUTE_TYPE(CKA_PUBLIC_KEY_INFO)] = certificate.subjectPublicKeyInfo
        attributes[CK_ATTRIBUTE_TYPE(CKA_CHECK_VALUE)] = Array(Insecure.SHA1.hash(data: certificate.der).prefix(3))
        return TokenObject(identity: .certificate(fingerprint: fingerprint(certificate.der)), attributes: attributes)
    }

    /// DER OCTET STRING around `content`.
    static func octetString(_ content: [UInt8]) -> [UInt8] {
        var serializer = DER.Serializer()
        serializer.appendPrimitiveNode(identifier: .octetString) { $0.append(contentsOf: content) }
        return serializer.serializedBytes
    }
}
