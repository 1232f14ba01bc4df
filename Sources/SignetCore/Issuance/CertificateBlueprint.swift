import Crypto
import Foundation
import SignetWire
import SwiftASN1
import X509

/// Everything that goes into a to-be-signed certificate, decided by policy before any key is touched.
/// ``CertificateBuilder`` turns a blueprint into an unsigned certificate for linting, and the signed
/// one is assembled from the very same TBS bytes.
public struct CertificateBlueprint: Sendable {
    public var profile: Profile
    public var serial: Certificate.SerialNumber
    public var subject: DistinguishedName
    public var subjectKey: Certificate.PublicKey
    public var notBefore: Date
    public var notAfter: Date
    /// The issuer's certificate; nil when the certificate is self-signed (a root).
    public var issuerCertificate: Certificate?
    public var issuerName: String
    public var signatureAlgorithm: Certificate.SignatureAlgorithm
    public var urls: AuthorityURLs
    /// The CI identity the certificate is issued to, if any: it travels in a SAN URI (the workflow at
    /// its ref) and Fulcio's extensions (``FulcioExtension``).
    public var identity: WorkloadIdentity?

    public init(profile: Profile, serial: Certificate.SerialNumber, subject: DistinguishedName, subjectKey: Certificate.PublicKey,
                notBefore: Date, notAfter: Date, issuerCertificate: Certificate?, issuerName: String,
                signatureAlgorithm: Certificate.SignatureAlgorithm, urls: AuthorityURLs, identity: WorkloadIdentity? = nil) {
        self.identity = identity
        self.profile = profile
        self.serial = serial
        self.subject = subject
        self.subjectKey = subjectKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuerCertificate = issuerCertificate
        self.issuerName = issuerName
        self.signatureAlgorithm = signatureAlgorithm
        self.urls = urls
    }
}

/// Builds certificates from blueprints: the extension set each profile kind requires, the unsigned
/// certificate that is linted and persisted, and the final certificate around the HSM's signature.
public enum CertificateBuilder {
    /// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value (which is
    /// what swift-certificates calls `subjectPublicKeyInfoBytes`).
    public static func keyIdentifier(for key: Certificate.PublicKey) throws -> [UInt8] {
        Array(SubjectKeyIdentifier(hash: key).keyIdentifier)
    }

    /// The extensions for the blueprint's profile kind (DESIGN.md "Certificates issued").
    public static func extensions(for blueprint: CertificateBlueprint) throws -> Certificate.Extensions {
        let profile = blueprint.profile
        let subjectKeyID = try keyIdentifier(for: blueprint.subjectKey)
        let authorityKeyID: [UInt8]
        if let issuer = blueprint.issuerCertificate {
            guard let ski = try issuer.extensions.subjectKeyIdentifier else {
                throw SignetError.internalError("Issuer \(blueprint.issuerName) has no subjectKeyIdentifier to chain to")
            }
            authorityKeyID = Array(ski.keyIdentifier)
        } else {
            authorityKeyID = subjectKeyID
        }
        var extensions = Certificate.Extensions()
        // RFC 5280 §4.2.1.9: critical in CA certificates; Signet marks it critical everywhere.
        let constraints: BasicConstraints = profile.kind.isCA ? .isCertificateAuthority(maxPathLength: profile.pathLength) : .notCertificateAuthority
        try extensions.append(Certificate.Extension(constraints, critical: true))
        // RFC 5280 §4.2.1.3: conforming CAs SHOULD mark keyUsage critical.
        try extensions.append(Certificate.Extension(profile.keyUsage, critical: true))
        if !profile.extendedKeyUsage.isEmpty {
            try extensions.append(Certificate.Extension(try ExtendedKeyUsage(profile.extendedKeyUsage), critical: profile.extendedKeyUsageCritical))
        }
        try extensions.append(Certificate.Extension(SubjectKeyIdentifier(keyIdentifier: subjectKeyID[...]), critical: false))
        // RFC 5280 §4.2.1.1: AKI in every certificate, including self-signed ones here.
        try extensions.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: authorityKeyID[...]), critical: false))
        if !profile.isSelfSigned {
            var access = [AuthorityInformationAccess.AccessDescription]()
            if profile.kind == .codeSigning || profile.kind == .timestamping {
                access.append(.init(method: .ocspServer, location: .uniformResourceIdentifier(blueprint.urls.ocsp)))
            }
            access.append(.init(method: .issuingCA, location: .uniformResourceIdentifier(blueprint.urls.caCertificate(blueprint.issuerName))))
            try extensions.append(Certificate.Extension(AuthorityInformationAccess(access), critical: false))
            // The delegated OCSP responder is not itself checked (RFC 6960 §4.2.2.2.1), so it needs no CDP.
            if profile.kind != .ocspSigner {
                try extensions.append(try CRLDistributionPoints(uris: [blueprint.urls.crl(blueprint.issuerName)]).makeExtension())
            }
        }
        if !profile.policies.isEmpty {
            try extensions.append(try CertificatePolicies(policies: profile.policies).makeExtension())
        }
        if profile.kind == .ocspSigner {
            try extensions.append(OCSPNoCheck.makeExtension())
        }
        if let identity = blueprint.identity {
            // RFC 5280 §4.2.1.6: the subject DN is not empty, so the SAN is not critical.
            if let uri = identity.subjectAlternativeNameURI {
                try extensions.append(Certificate.Extension(SubjectAlternativeNames([.uniformResourceIdentifier(uri)]), critical: false))
            }
            for fulcio in try FulcioExtension.extensions(for: identity) { try extensions.append(fulcio) }
        }
        return extensions
    }

    /// The certificate with a placeholder signature: its `tbsCertificateBytes` are exactly what the
    /// HSM will sign, and its parsed fields are what the linter checks.
    public static func unsigned(_ blueprint: CertificateBlueprint) throws -> Certificate {
        try Certificate(
            version: .v3,
            serialNumber: blueprint.serial,
            publicKey: blueprint.subjectKey,
            notValidBefore: blueprint.notBefore,
            notValidAfter: blueprint.notAfter,
            issuer: blueprint.issuerCertificate?.subject ?? blueprint.subject,
            subject: blueprint.subject,
            signatureAlgorithm: blueprint.signatureAlgorithm,
            extensions: try extensions(for: blueprint),
            issuerPrivateKey: Certificate.PrivateKey(PlaceholderSigner(algorithm: blueprint.signatureAlgorithm, publicKey: blueprint.subjectKey))
        )
    }

    /// Wraps TBS bytes and a signature value into the final certificate's DER:
    /// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }`.
    /// Callers store and send the DER as is and parse it only if they need the fields (parsing costs
    /// as much as building).
    public static func assemble(tbs: [UInt8], signatureAlgorithm: Certificate.SignatureAlgorithm, signature: [UInt8]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbs)
            try coder.serialize(try SignetWire.AlgorithmIdentifier(signatureAlgorithm))
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
        return serializer.serializedBytes
    }
}

/// Stands in for the issuer key while the TBS is built and linted; its "signature" is a fixed,
/// syntactically valid value that never leaves the process.
struct PlaceholderSigner: CustomPrivateKey {
    let algorithm: Certificate.SignatureAlgorithm
    let publicKey: Certificate.PublicKey

    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { algorithm }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [algorithm] }

    func signSynchronously(bytes: some DataProtocol, signatureAlgorithm: Certificate.SignatureAlgorithm) throws -> Certificate.Signature {
        let placeholder: [UInt8] = algorithm.isECDSA ? [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01] : [UInt8](repeating: 0, count: 384)
        return try Certificate.Signature(signatureAlgorithm: signatureAlgorithm, signatureBytes: ASN1BitString(bytes: placeholder[...]))
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.algorithm == rhs.algorithm && lhs.publicKey == rhs.publicKey }
    func hash(into hasher: inout Hasher) { hasher.combine(algorithm) }
    init(algorithm: Certificate.SignatureAlgorithm, publicKey: Certificate.PublicKey) {
        self.algorithm = algorithm
        self.publicKey = publicKey
    }
    func serialize(into coder: inout DER.Serializer) throws { throw SignetError.internalError("placeholder signer has no encoding") }
    func serializeAsPEM(discriminator: String) throws -> PEMDocument { throw SignetError.internalError("placeholder signer has no PEM form") }
    static var defaultPEMDiscriminator: String { "PRIVATE KEY" }
}

extension Certificate.SignatureAlgorithm {
    var isECDSA: Bool { self == .ecdsaWithSHA256 || self == .ecdsaWithSHA384 || self == .ecdsaWithSHA512 }
}
