import SignetWire

/// Why a certificate was revoked: the RFC 5280 §5.3.1 CRLReason codes, shared with the CRL and OCSP
/// encoders so a reason never has to be translated between layers.
public typealias RevocationReason = CRLReason

extension CRLReason {
    /// The RFC 5280 name, as the CLI and API accept and print it.
    public var name: String {
        switch self {
        case .unspecified: return "unspecified"
        case .keyCompromise: return "keyCompromise"
        case .cACompromise: return "cACompromise"
        case .affiliationChanged: return "affiliationChanged"
        case .superseded: return "superseded"
        case .cessationOfOperation: return "cessationOfOperation"
        case .certificateHold: return "certificateHold"
        case .removeFromCRL: return "removeFromCRL"
        case .privilegeWithdrawn: return "privilegeWithdrawn"
        case .aACompromise: return "aACompromise"
        }
    }

    /// Reasons an operator may revoke with. certificateHold is excluded: Signet's revocations are final
    /// (CA/B Forum CS BR §4.9.13 forbids suspension), and removeFromCRL is a delta-CRL artefact.
    public static let acceptedForRevocation: [CRLReason] = allCases.filter { $0 != .certificateHold && $0 != .removeFromCRL }

    /// Parses a reason name (case-insensitive) or number; the error lists valid names.
    public init(parsing text: String) throws {
        let lowered = text.lowercased()
        if let match = Self.acceptedForRevocation.first(where: { $0.name.lowercased() == lowered || String($0.rawValue) == text }) {
            self = match
            return
        }
        throw SignetError.malformed("Unknown revocation reason '\(text)'; use one of \(Self.acceptedForRevocation.map(\.name).joined(separator: ", "))")
    }
}
