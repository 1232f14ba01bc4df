import SwiftASN1
import X509

/// A certificate profile, validated. Built only by ``ProfileParser`` from a YAML file, whose checks
/// (in the spirit of Boulder's `ProfileConfig` → `NewProfile`) guarantee that every certificate the
/// profile can produce is well-formed for its kind: a code-signing profile cannot grant keyCertSign,
/// a CA profile cannot omit it, a validity cannot exceed its own maximum.
public struct Profile: Sendable, Hashable {
    /// What the certificate is for; fixes the extensions Signet must and must not put in it.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case rootCA = "root-ca"
        case issuingCA = "issuing-ca"
        case codeSigning = "code-signing"
        case ocspSigner = "ocsp-signer"
        case timestamping

        public var isCA: Bool { self == .rootCA || self == .issuingCA }

        /// The key purpose recorded for keys generated under this kind of profile.
        public var keyPurpose: KeyPurpose {
            switch self {
            case .rootCA: return .rootCA
            case .issuingCA: return .issuingCA
            case .ocspSigner: return .ocspSigner
            case .timestamping: return .timestamping
            case .codeSigning: return .release
            }
        }
    }

    /// Who holds the subject's private key.
    public enum KeySource: String, Sendable, Hashable {
        /// The requester holds it and sends a CSR.
        case csr
        /// Signet generates it in the token (CA, OCSP, TSA and per-release CI keys).
        case hsm
    }

    /// Which teams may use the profile.
    public enum TeamRule: Sendable, Hashable {
        case any
        case only(Set<String>)

        public func allows(_ team: String?) -> Bool {
            switch self {
            case .any: return true
            case .only(let teams): return team.map(teams.contains) ?? false
            }
        }
    }

    /// When keys under this profile are replaced (used by the rotation scheduler).
    public struct Rotation: Sendable, Hashable {
        /// A new key and certificate are made this long after the current one was made.
        public let every: ValidityDuration
        /// How long before the switch the successor is prepared (published) while the current one still signs.
        public let overlap: ValidityDuration
        /// How long after replacement the old key is destroyed if nothing it issued is still valid.
        public let retireAfter: ValidityDuration?
    }

    public let name: String
    public let summary: String
    public let kind: Kind
    /// `self` for a root; otherwise the name of the profile whose active authority signs.
    public let issuer: String
    public let keySource: KeySource
    /// For `csr` profiles, the key types a CSR may carry; for `hsm` profiles, the first is generated.
    public let keyAlgorithms: [KeyAlgorithm]
    public let defaultValidity: ValidityDuration
    public let maxValidity: ValidityDuration
    public let subject: SubjectTemplate
    public let keyUsage: KeyUsage
    public let extendedKeyUsage: [ExtendedKeyUsage.Usage]
    /// RFC 3161 §2.3 requires the TSA's EKU to be critical; everywhere else it is not.
    public var extendedKeyUsageCritical: Bool { kind == .timestamping }
    public let pathLength: Int?
    public let policies: [ASN1ObjectIdentifier]
    public let allowedRoles: Set<Role>
    public let allowedTeams: TeamRule
    public let rotation: Rotation?
    /// For profiles whose keys Signet generates per release (`key.source: hsm` code signing): how many
    /// live keys (pending or active) one team may hold at once. A pipeline that loops on
    /// `?rotate=true` or invents release names cannot fill the token.
    public let maxLiveKeysPerTeam: Int?
    /// The file this profile came from, for messages.
    public let source: String

    /// The key type generated for `hsm` profiles.
    public var generatedKeyAlgorithm: KeyAlgorithm { keyAlgorithms[0] }

    public var isSelfSigned: Bool { issuer == "self" }

    public static func == (lhs: Profile, rhs: Profile) -> Bool { lhs.name == rhs.name && lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    init(
        name: String, summary: String, kind: Kind, issuer: String, keySource: KeySource, keyAlgorithms: [KeyAlgorithm],
        defaultValidity: ValidityDuration, maxValidity: ValidityDuration, subject: SubjectTemplate, keyUsage: KeyUsage,
        extendedKeyUsage: [ExtendedKeyUsage.Usage], pathLength: Int?, policies: [ASN1ObjectIdentifier],
        allowedRoles: Set<Role>, allowedTeams: TeamRule, rotation: Rotation?, maxLiveKeysPerTeam: Int? = nil, source: String
    ) {
        self.maxLiveKeysPerTeam = maxLiveKeysPerTeam
        self.name = name
        self.summary = summary
        self.kind = kind
        self.issuer = issuer
        self.keySource = keySource
        self.keyAlgorithms = keyAlgorithms
        self.defaultValidity = defaultValidity
        self.maxValidity = maxValidity
        self.subject = subject
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
        self.pathLength = pathLength
        self.policies = policies
        self.allowedRoles = allowedRoles
        self.allowedTeams = allowedTeams
        self.rotation = rotation
        self.source = source
    }
}
