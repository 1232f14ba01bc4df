import Foundation
import SignetWire
import SwiftASN1
import X509

/// One problem the linter found.
public struct LintFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }
    public let rule: String
    public let severity: Severity
    public let message: String
    public var description: String { "\(severity.rawValue) [\(rule)]: \(message)" }
}

/// Lint-before-sign: checks an unsigned certificate against RFC 5280, the CA/B Forum code-signing
/// rules that apply to a private CA, and its own profile, before the HSM is asked to sign. Each rule
/// returns findings rather than throwing, so one run reports every problem (like swift-certificates'
/// verifier policies). An error finding stops issuance: it means Signet or a profile is wrong.
public struct CertificateLinter: Sendable {
    /// What a rule sees.
    public struct Subject: Sendable {
        public let certificate: Certificate
        public let profile: Profile
        public let issuer: Certificate?
        /// The CI identity the certificate is issued to, if any.
        public let identity: WorkloadIdentity?
    }

    public struct Rule: Sendable {
        public let name: String
        let check: @Sendable (Subject) throws -> [String]
    }

    public let rules: [Rule]

    public init(rules: [Rule] = CertificateLinter.standardRules) { self.rules = rules }

    public func lint(_ certificate: Certificate, profile: Profile, issuer: Certificate?, identity: WorkloadIdentity? = nil) -> [LintFinding] {
        let subject = Subject(certificate: certificate, profile: profile, issuer: issuer, identity: identity)
        return rules.flatMap { rule -> [LintFinding] in
            do {
                return try rule.check(subject).map { LintFinding(rule: rule.name, severity: .error, message: $0) }
            } catch {
                return [LintFinding(rule: rule.name, severity: .error, message: "extension does not parse: \(error)")]
            }
        }
    }

    static func rule(_ name: String, _ check: @escaping @Sendable (Subject) throws -> [String]) -> Rule { Rule(name: name, check: check) }

    public static let standardRules: [Rule] = [
        rule("version") { s in s.certificate.version == .v3 ? [] : ["certificates must be X.509 v3 (RFC 5280 §4.1.2.1)"] },
        rule("serial") { s in
            let bytes = Array(s.certificate.serialNumber.bytes)
            var problems: [String] = []
            // RFC 5280 §4.1.2.2: positive, at most 20 octets. CA/B CS BR §7.1: at least 64 random bits.
            if bytes.count > 20 { problems.append("serial is \(bytes.count) octets; at most 20 allowed (RFC 5280 §4.1.2.2)") }
            if bytes.count < 16 { problems.append("serial is \(bytes.count) octets; Signet requires 16-20") }
            if let first = bytes.first, first & 0x80 != 0 { problems.append("serial must be positive (RFC 5280 §4.1.2.2)") }
            return problems
        },
        rule("validity") { s in
            let c = s.certificate
            var problems: [String] = []
            if c.notValidAfter <= c.notValidBefore { problems.append("notAfter must be after notBefore") }
            let period = c.notValidAfter.timeIntervalSince(c.notValidBefore)
            if period > s.profile.maxValidity.timeInterval + 1 {
                problems.append("validity \(Int(period))s exceeds profile '\(s.profile.name)' maximum \(s.profile.maxValidity)")
            }
            if let issuer = s.issuer, c.notValidAfter > issuer.notValidAfter {
                problems.append("notAfter \(c.notValidAfter) is after the issuer's notAfter \(issuer.notValidAfter)")
            }
            return problems
        },
        rule("names") { s in
            var problems: [String] = []
            if s.certificate.subject.isEmpty { problems.append("subject must not be empty") }
            if let issuer = s.issuer, issuer.subject != s.certificate.issuer {
                problems.append("issuer name does not match the issuer certificate's subject (RFC 5280 §4.1.2.4)")
            }
            if s.issuer == nil && s.certificate.issuer != s.certificate.subject {
                problems.append("a self-signed certificate must have issuer == subject")
            }
            return problems
        },
        rule("unique-extensions") { s in
            var seen = Set<ASN1ObjectIdentifier>()
            return s.certificate.extensions.compactMap { ext in
                seen.insert(ext.oid).inserted ? nil : "extension \(ext.oid) appears twice (RFC 5280 §4.2)"
            }
        },
        rule("basic-constraints") { s in
            guard let ext = s.certificate.extensions[oid: .X509ExtensionID.basicConstraints] else { return ["basicConstraints is missing"] }
            let constraints = try BasicConstraints(ext)
            var problems: [String] = []
            if !ext.critical { problems.append("basicConstraints must be critical (RFC 5280 §4.2.1.9)") }
            switch (s.profile.kind.isCA, constraints) {
            case (true, .isCertificateAuthority(let pathLength)):
                if pathLength != s.profile.pathLength { problems.append("pathLenConstraint \(String(describing: pathLength)) differs from profile \(String(describing: s.profile.pathLength))") }
            case (false, .notCertificateAuthority): break
            default: problems.append("basicConstraints cA does not match profile kind \(s.profile.kind.rawValue)")
            }
            return problems
        },
        rule("key-usage") { s in
            guard let ext = s.certificate.extensions[oid: .X509ExtensionID.keyUsage] else { return ["keyUsage is missing"] }
            var problems: [String] = []
            if !ext.critical { problems.append("keyUsage must be critical (CA/B CS BR §7.1.2.3)") }
            if try KeyUsage(ext) != s.profile.keyUsage { problems.append("keyUsage differs from profile '\(s.profile.name)'") }
            return problems
        },
        rule("extended-key-usage") { s in
            let ext = s.certificate.extensions[oid: .X509ExtensionID.extendedKeyUsage]
            if s.profile.extendedKeyUsage.isEmpty { return ext == nil ? [] : ["extendedKeyUsage present but the profile has none"] }
            guard let ext else { return ["extendedKeyUsage is missing"] }
            var problems: [String] = []
            let usages = Array(try ExtendedKeyUsage(ext))
            if usages != s.profile.extendedKeyUsage { problems.append("extendedKeyUsage \(usages) differs from profile \(s.profile.extendedKeyUsage)") }
            if usages.contains(.any) { problems.append("anyExtendedKeyUsage is not allowed (CA/B CS BR §7.1.2.3)") }
            // RFC 3161 §2.3: the TSA certificate's EKU MUST be critical.
            if s.profile.kind == .timestamping && !ext.critical { problems.append("the TSA's extendedKeyUsage must be critical (RFC 3161 §2.3)") }
            return problems
        },
        rule("key-identifiers") { s in
            var problems: [String] = []
            guard let ski = try s.certificate.extensions.subjectKeyIdentifier else { return ["subjectKeyIdentifier is missing (RFC 5280 §4.2.1.2)"] }
            if Array(ski.keyIdentifier) != (try CertificateBuilder.keyIdentifier(for: s.certificate.publicKey)) {
                problems.append("subjectKeyIdentifier does not match the subject public key")
            }
            guard let aki = try s.certificate.extensions.authorityKeyIdentifier, let akid = aki.keyIdentifier else {
                return problems + ["authorityKeyIdentifier keyIdentifier is missing (RFC 5280 §4.2.1.1)"]
            }
            let expected = try s.issuer.flatMap { try $0.extensions.subjectKeyIdentifier.map { Array($0.keyIdentifier) } } ?? Array(ski.keyIdentifier)
            if Array(akid) != expected { problems.append("authorityKeyIdentifier does not match the issuer's subjectKeyIdentifier") }
            return problems
        },
        rule("revocation-pointers") { s in
            guard !s.profile.isSelfSigned else { return [] }
            var problems: [String] = []
            let aia = try s.certificate.extensions.authorityInformationAccess
            let methods = aia.map { Array($0).map(\.method) } ?? []
            if !methods.contains(.issuingCA) { problems.append("AIA caIssuers is missing") }
            if (s.profile.kind == .codeSigning || s.profile.kind == .timestamping) && !methods.contains(.ocspServer) {
                problems.append("AIA OCSP is missing")
            }
            if s.profile.kind != .ocspSigner && s.certificate.extensions[oid: CRLDistributionPoints.oid] == nil {
                problems.append("cRLDistributionPoints is missing")
            }
            return problems
        },
        rule("policies") { s in
            guard !s.profile.policies.isEmpty else { return [] }
            guard let ext = s.certificate.extensions[oid: CertificatePolicies.oid] else { return ["certificatePolicies is missing"] }
            let policies = try CertificatePolicies(derEncoded: ext.value).policies
            return policies == s.profile.policies ? [] : ["certificatePolicies differ from profile '\(s.profile.name)'"]
        },
        rule("ocsp-nocheck") { s in
            let present = s.certificate.extensions[oid: OCSPNoCheck.oid] != nil
            if s.profile.kind == .ocspSigner && !present { return ["id-pkix-ocsp-nocheck is missing from an OCSP signer (RFC 6960 §4.2.2.2.1)"] }
            if s.profile.kind != .ocspSigner && present { return ["id-pkix-ocsp-nocheck only belongs in OCSP signer certificates"] }
            return []
        },
        rule("subject-key") { s in
            guard let algorithm = KeyAlgorithm(publicKey: s.certificate.publicKey) else { return ["subject key type is not supported"] }
            return s.profile.keyAlgorithms.contains(algorithm) ? [] : ["subject key \(algorithm) is not allowed by profile '\(s.profile.name)'"]
        },
        rule("workload-identity") { s in
            // A CI identity travels in exactly the SAN URI and Fulcio extensions derived from it, and
            // nothing claims one without it: a verifier reading them trusts they came from a verified token.
            let fulcio = s.certificate.extensions.filter { FulcioExtension.isFulcio($0.oid) }
            let san = s.certificate.extensions[oid: .X509ExtensionID.subjectAlternativeName]
            guard let identity = s.identity else {
                var problems: [String] = []
                if !fulcio.isEmpty { problems.append("Fulcio identity extensions in a certificate issued without a CI identity") }
                if san != nil { problems.append("subjectAltName in a certificate issued without a CI identity") }
                return problems
            }
            var problems: [String] = []
            if s.profile.kind != .codeSigning { problems.append("a CI identity may only be put into code-signing certificates") }
            if let uri = identity.subjectAlternativeNameURI {
                if let san {
                    let names = Array(try SubjectAlternativeNames(san))
                    if names != [.uniformResourceIdentifier(uri)] { problems.append("subjectAltName \(names) is not the workflow URI \(uri)") }
                    if san.critical { problems.append("subjectAltName must not be critical when the subject is not empty (RFC 5280 §4.2.1.6)") }
                } else {
                    problems.append("subjectAltName URI of the workflow is missing")
                }
            } else if san != nil {
                problems.append("subjectAltName present but the identity has no workflow URI")
            }
            let expected = try FulcioExtension.extensions(for: identity)
            if fulcio.map(\.oid) != expected.map(\.oid) { problems.append("Fulcio extensions \(fulcio.map(\.oid)) differ from the identity's \(expected.map(\.oid))") }
            let values = Dictionary(identity.fulcioValues.map { ($0.0.oid, $0.1) }, uniquingKeysWith: { first, _ in first })
            for found in fulcio {
                if found.critical { problems.append("Fulcio extension \(found.oid) must not be critical") }
                if found.oid == FulcioExtension.issuerV1.oid {
                    // docs/oid-info.md: .1 through .6 hold the raw string, without DER.
                    if Array(found.value) != Array(identity.issuer.utf8) { problems.append("Fulcio extension \(found.oid) is not the issuer URL") }
                } else if let text = FulcioExtension.decodeUTF8String(found.value) {
                    if text != values[found.oid] { problems.append("Fulcio extension \(found.oid) holds \(SignetError.quote(text)), not the identity's value") }
                } else {
                    problems.append("Fulcio extension \(found.oid) is not a DER UTF8String (docs/oid-info.md: .8 onward)")
                }
            }
            return problems
        },
        rule("signature-algorithm") { s in
            guard let issuer = s.issuer else { return [] }
            guard let issuerAlgorithm = KeyAlgorithm(publicKey: issuer.publicKey) else { return ["issuer key type is not supported"] }
            return s.certificate.signatureAlgorithm == issuerAlgorithm.signatureAlgorithm ? [] : ["signature algorithm does not match the issuer's key"]
        },
    ]
}
