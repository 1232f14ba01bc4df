import X509

/// An authority ready to sign: its record, its parsed certificate and its key in custody.
public struct LoadedAuthority: Sendable {
    public let record: AuthorityRecord
    public let certificate: Certificate
    public let key: any SigningKey

    public var name: String { record.name }

    public init(record: AuthorityRecord, certificate: Certificate, key: any SigningKey) {
        self.record = record
        self.certificate = certificate
        self.key = key
    }
}

/// What a caller asks for when it brings its own key (a CSR).
public struct IssuanceRequest: Sendable {
    public var profile: String
    public var csr: [UInt8]
    /// The team the certificate is for. Over HTTP it is the token's team, never the body's.
    public var team: String?
    public var release: String?
    /// Requested validity; the profile's default when nil.
    public var validity: ValidityDuration?

    public init(profile: String, csr: [UInt8], team: String?, release: String? = nil, validity: ValidityDuration? = nil) {
        self.profile = profile
        self.csr = csr
        self.team = team
        self.release = release
        self.validity = validity
    }
}

/// A certificate handed out, with the chain up to (and including) the root. It carries the DER that
/// was signed and recorded; the parsed form is made only when a caller asks for it, because the
/// HTTP and CLI paths send the DER as is and parsing it costs as much as the rest of assembly.
public struct IssuedCertificate: Sendable {
    public let record: CertificateRecord
    /// The certificate's DER, exactly as signed and recorded.
    public let der: [UInt8]
    public let chain: [Certificate]

    public init(record: CertificateRecord, der: [UInt8], chain: [Certificate]) {
        self.record = record
        self.der = der
        self.chain = chain
    }

    /// The certificate, parsed from ``der``.
    public var certificate: Certificate {
        get throws { try Certificate(derEncoded: der) }
    }
}
