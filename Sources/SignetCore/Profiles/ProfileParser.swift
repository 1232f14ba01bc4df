import SwiftASN1
import X509
import Yams

/// Turns one profile YAML document into a validated ``Profile``. Every refusal names the file, the
/// line and the reason ("Profiles/x.yaml:12: validity.default 30d exceeds validity.max 7d"), and
/// unknown keys are refused too, so a typo cannot silently drop a constraint.
public enum ProfileParser {
    /// Parses `yaml` read from `file` (used in messages; its base name must match `name:`).
    public static func parse(yaml: String, file: String) throws -> Profile {
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                throw SignetError.configuration("\(file): the file is empty")
            }
            root = composed
        } catch let error as SignetError {
            throw error
        } catch let error as YamlError {
            throw SignetError.configuration("\(file): \(Self.describe(error))")
        } catch {
            throw SignetError.configuration("\(file): \(error)")
        }
        let reader = Reader(file: file)
        let top = try reader.mapping(root, "the profile", allowed: [
            "name", "description", "kind", "issuer", "key", "validity", "subject", "key_usage",
            "extended_key_usage", "basic_constraints", "certificate_policies", "access", "rotation",
        ])

        let name = try reader.requiredString(top, "name")
        let expectedName = file.split(separator: "/").last.map { String($0) }?.replacingOccurrences(of: ".yaml", with: "").replacingOccurrences(of: ".yml", with: "")
        if let expectedName, expectedName != name {
            throw reader.fail(top["name"], "name '\(name)' must match the file name '\(expectedName)'")
        }
        guard NameRules.isSimpleName(name, maxLength: 63, allowUppercase: false) else {
            throw reader.fail(top["name"], "name '\(name)' must be 1-63 characters [a-z0-9._-]")
        }
        let summary = try reader.string(top, "description") ?? ""
        let kindText = try reader.requiredString(top, "kind")
        guard let kind = Profile.Kind(rawValue: kindText) else {
            throw reader.fail(top["kind"], "kind '\(kindText)' is not one of \(Profile.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let issuer = try reader.requiredString(top, "issuer")
        if kind == .rootCA && issuer != "self" {
            throw reader.fail(top["issuer"], "a root-ca profile must have issuer: self")
        }
        if kind != .rootCA && issuer == "self" {
            throw reader.fail(top["issuer"], "only a root-ca profile may be self-signed")
        }

        // key
        guard let keyNode = top["key"] else { throw reader.fail(root, "missing 'key'") }
        let key = try reader.mapping(keyNode, "key", allowed: ["source", "algorithms", "max_live_per_team"])
        let sourceText = try reader.requiredString(key, "source")
        guard let keySource = Profile.KeySource(rawValue: sourceText) else {
            throw reader.fail(key["source"], "key.source '\(sourceText)' must be csr or hsm")
        }
        if kind != .codeSigning && keySource == .csr {
            throw reader.fail(key["source"], "\(kind.rawValue) keys are generated in the HSM: key.source must be hsm")
        }
        let algorithmNames = try reader.strings(key, "algorithms", required: true)
        var algorithms: [KeyAlgorithm] = []
        for (text, node) in algorithmNames {
            guard let algorithm = KeyAlgorithm(rawValue: text) else {
                throw reader.fail(node, "unknown key algorithm '\(text)'; use \(KeyAlgorithm.allCases.filter { $0 != .rsa2048 }.map(\.rawValue).joined(separator: ", "))")
            }
            if algorithm == .rsa2048 {
                // CA/B Forum Code Signing BR §6.1.5: RSA keys of at least 3072 bits.
                throw reader.fail(node, "rsa-2048 is below the 3072-bit minimum for code signing (CA/B Forum CS BR §6.1.5)")
            }
            algorithms.append(algorithm)
        }
        guard !algorithms.isEmpty else { throw reader.fail(key["algorithms"], "key.algorithms must list at least one algorithm") }
        let maxLiveKeysPerTeam = try reader.int(key, "max_live_per_team")
        if let maxLiveKeysPerTeam {
            guard kind == .codeSigning && keySource == .hsm else {
                throw reader.fail(key["max_live_per_team"], "key.max_live_per_team applies to per-release keys only (kind code-signing, key.source hsm)")
            }
            guard (1...100_000).contains(maxLiveKeysPerTeam) else {
                throw reader.fail(key["max_live_per_team"], "key.max_live_per_team must be from 1 to 100000, got \(maxLiveKeysPerTeam)")
            }
        }

        // validity
        guard let validityNode = top["validity"] else { throw reader.fail(root, "missing 'validity'") }
        let validity = try reader.mapping(validityNode, "validity", allowed: ["default", "max"])
        let maxValidity = try reader.requiredDuration(validity, "max")
        let defaultValidity = try reader.duration(validity, "default") ?? maxValidity
        if defaultValidity > maxValidity {
            throw reader.fail(validity["default"], "validity.default \(defaultValidity) exceeds validity.max \(maxValidity)")
        }
        // CA/B Forum Code Signing BR §6.3.2: subscriber and timestamp certificates at most 39 months.
        if !kind.isCA && maxValidity > .days(1186) {
            throw reader.fail(validity["max"], "validity.max \(maxValidity) exceeds the 39-month limit for \(kind.rawValue) certificates (CA/B Forum CS BR §6.3.2)")
        }

        // subject
        guard let subjectNode = top["subject"] else { throw reader.fail(root, "missing 'subject'") }
        let subjectMap = try reader.mapping(subjectNode, "subject", allowed: Set(SubjectTemplate.Attribute.allCases.map(\.rawValue)))
        var fields: [(SubjectTemplate.Attribute, String)] = []
        for (keyNode, valueNode) in subjectMap {
            // mapping(_:_:allowed:) let through only keys that name an attribute.
            guard let attribute = keyNode.string.flatMap(SubjectTemplate.Attribute.init(rawValue:)) else {
                throw reader.fail(keyNode, "unknown subject attribute '\(keyNode.string ?? "?")'")
            }
            let template = try reader.requiredString(subjectMap, attribute.rawValue)
            do {
                _ = try SubjectTemplate(fields: [(attribute, template), (.commonName, "x")])
            } catch let error as SignetError {
                throw reader.fail(valueNode, "subject.\(attribute.rawValue): \(error.reason)")
            }
            fields.append((attribute, template))
        }
        let subject: SubjectTemplate
        do {
            subject = try SubjectTemplate(fields: fields)
        } catch let error as SignetError {
            throw reader.fail(subjectNode, "subject: \(error.reason)")
        }

        // key usage
        var keyUsage = KeyUsage()
        for (text, node) in try reader.strings(top, "key_usage", required: true) {
            switch text {
            case "digitalSignature": keyUsage.digitalSignature = true
            case "nonRepudiation", "contentCommitment": keyUsage.nonRepudiation = true
            case "keyCertSign": keyUsage.keyCertSign = true
            case "cRLSign": keyUsage.cRLSign = true
            default:
                throw reader.fail(node, "key usage '\(text)' is not allowed; use digitalSignature, nonRepudiation, keyCertSign or cRLSign")
            }
        }
        var ekus: [ExtendedKeyUsage.Usage] = []
        for (text, node) in try reader.strings(top, "extended_key_usage") {
            switch text {
            case "codeSigning": ekus.append(.codeSigning)
            case "timeStamping": ekus.append(.timeStamping)
            case "OCSPSigning", "ocspSigning": ekus.append(.ocspSigning)
            default:
                throw reader.fail(node, "extended key usage '\(text)' is not allowed; use codeSigning, timeStamping or OCSPSigning")
            }
        }
        try checkUsages(kind: kind, keyUsage: keyUsage, ekus: ekus, reader: reader, top: top)

        var pathLength: Int? = nil
        if let bcNode = top["basic_constraints"] {
            let bc = try reader.mapping(bcNode, "basic_constraints", allowed: ["path_length"])
            guard kind.isCA else { throw reader.fail(bcNode, "basic_constraints.path_length applies to CA profiles only") }
            pathLength = try reader.int(bc, "path_length")
            if let pathLength, pathLength < 0 { throw reader.fail(bc["path_length"], "path_length must be 0 or more") }
        }
        if kind == .issuingCA && pathLength == nil { pathLength = 0 }

        var policies: [ASN1ObjectIdentifier] = []
        for (text, node) in try reader.strings(top, "certificate_policies") {
            guard let oid = try? ASN1ObjectIdentifier(dotRepresentation: text), text.split(separator: ".").count >= 2 else {
                throw reader.fail(node, "'\(text)' is not a dotted OID")
            }
            policies.append(oid)
        }
        if kind == .codeSigning && policies.isEmpty {
            throw reader.fail(root, "code-signing profiles must name a certificate policy (certificate_policies)")
        }

        var roles: Set<Role> = []
        var teams: Profile.TeamRule = .only([])
        if let accessNode = top["access"] {
            let access = try reader.mapping(accessNode, "access", allowed: ["roles", "teams"])
            for (text, node) in try reader.strings(access, "roles") {
                guard let role = Role(rawValue: text) else {
                    throw reader.fail(node, "unknown role '\(text)'; use \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard role != .auditor else { throw reader.fail(node, "auditors are read-only and cannot request certificates") }
                roles.insert(role)
            }
            let teamList = try reader.strings(access, "teams")
            if teamList.contains(where: { $0.0 == "*" }) {
                teams = .any
            } else {
                for (team, node) in teamList {
                    do { try NameRules.validateTeam(team) } catch let error as SignetError { throw reader.fail(node, error.reason) }
                }
                teams = .only(Set(teamList.map(\.0)))
            }
        }
        if (kind.isCA || kind == .ocspSigner || kind == .timestamping) && !roles.isEmpty {
            throw reader.fail(top["access"], "\(kind.rawValue) certificates are made by Signet itself (init, rotation); access.roles must be empty")
        }

        var rotation: Profile.Rotation? = nil
        if let rotationNode = top["rotation"] {
            let map = try reader.mapping(rotationNode, "rotation", allowed: ["every", "overlap", "retire_after"])
            let every = try reader.requiredDuration(map, "every")
            let overlap = try reader.duration(map, "overlap") ?? .init(seconds: 0)
            if overlap >= every { throw reader.fail(map["overlap"], "rotation.overlap \(overlap) must be shorter than rotation.every \(every)") }
            if every > maxValidity { throw reader.fail(map["every"], "rotation.every \(every) exceeds validity.max \(maxValidity): the certificate would expire before it is replaced") }
            rotation = .init(every: every, overlap: overlap, retireAfter: try reader.duration(map, "retire_after"))
        }

        return Profile(
            name: name, summary: summary, kind: kind, issuer: issuer, keySource: keySource, keyAlgorithms: algorithms,
            defaultValidity: defaultValidity, maxValidity: maxValidity, subject: subject, keyUsage: keyUsage,
            extendedKeyUsage: ekus, pathLength: pathLength, policies: policies, allowedRoles: roles, allowedTeams: teams,
            rotation: rotation, maxLiveKeysPerTeam: maxLiveKeysPerTeam, source: file)
    }

    private static func checkUsages(kind: Profile.Kind, keyUsage: KeyUsage, ekus: [ExtendedKeyUsage.Usage], reader: Reader, top: Node.Mapping) throws {
        let kuNode = top["key_usage"]
        let ekuNode = top["extended_key_usage"]
        if kind.isCA {
            // RFC 5280 §4.2.1.3: keyCertSign for certificate signers, cRLSign for CRL signers.
            guard keyUsage.keyCertSign && keyUsage.cRLSign else { throw reader.fail(kuNode, "CA profiles need key_usage keyCertSign and cRLSign") }
            guard ekus.isEmpty else { throw reader.fail(ekuNode, "CA profiles must not restrict extended_key_usage") }
        } else {
            guard keyUsage.digitalSignature else { throw reader.fail(kuNode, "\(kind.rawValue) profiles need key_usage digitalSignature") }
            guard !keyUsage.keyCertSign && !keyUsage.cRLSign else { throw reader.fail(kuNode, "only CA profiles may have keyCertSign or cRLSign") }
            let required: ExtendedKeyUsage.Usage
            switch kind {
            case .codeSigning: required = .codeSigning
            case .timestamping: required = .timeStamping
            case .ocspSigner: required = .ocspSigning
            case .rootCA, .issuingCA: return
            }
            // RFC 3161 §2.3 (TSA: exactly one EKU) and CA/B Forum CS BR §7.1.2.3 (code signing EKU only).
            guard ekus == [required] else {
                throw reader.fail(ekuNode, "\(kind.rawValue) profiles must have exactly extended_key_usage [\(Self.name(of: required))]")
            }
        }
    }

    private static func name(of usage: ExtendedKeyUsage.Usage) -> String {
        switch usage {
        case .codeSigning: return "codeSigning"
        case .timeStamping: return "timeStamping"
        case .ocspSigning: return "OCSPSigning"
        default: return "\(usage)"
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return "line \(mark.line): \(problem)"
        default:
            return "\(error)"
        }
    }

    /// Typed access to a YAML mapping with line-numbered errors.
    struct Reader {
        let file: String

        func fail(_ node: Node?, _ reason: String) -> SignetError {
            if let line = node?.mark?.line { return .configuration("\(file):\(line): \(reason)") }
            return .configuration("\(file): \(reason)")
        }

        func mapping(_ node: Node, _ what: String, allowed: Set<String>) throws -> Node.Mapping {
            guard let map = node.mapping else { throw fail(node, "\(what) must be a mapping") }
            var seen = Set<String>()
            for (key, _) in map {
                guard let name = key.string, allowed.contains(name) else {
                    throw fail(key, "unknown key '\(key.string ?? "?")' in \(what); allowed: \(allowed.sorted().joined(separator: ", "))")
                }
                guard seen.insert(name).inserted else { throw fail(key, "duplicate key '\(name)' in \(what)") }
            }
            return map
        }

        func string(_ map: Node.Mapping, _ key: String, required: Bool = false) throws -> String? {
            guard let node = map[key] else {
                if required { throw fail(Node.mapping(map), "missing '\(key)'") }
                return nil
            }
            guard case .scalar(let scalar) = node else { throw fail(node, "'\(key)' must be a single value") }
            return scalar.string
        }

        func requiredString(_ map: Node.Mapping, _ key: String) throws -> String {
            guard let text = try string(map, key, required: true) else { throw fail(Node.mapping(map), "missing '\(key)'") }
            return text
        }

        func requiredDuration(_ map: Node.Mapping, _ key: String) throws -> ValidityDuration {
            guard let duration = try duration(map, key, required: true) else { throw fail(Node.mapping(map), "missing '\(key)'") }
            return duration
        }

        func int(_ map: Node.Mapping, _ key: String) throws -> Int? {
            guard let node = map[key] else { return nil }
            guard let value = node.int else { throw fail(node, "'\(key)' must be an integer") }
            return value
        }

        func duration(_ map: Node.Mapping, _ key: String, required: Bool = false) throws -> ValidityDuration? {
            guard let text = try string(map, key, required: required) else { return nil }
            do { return try ValidityDuration(parsing: text) } catch let error as SignetError { throw fail(map[key], "\(key): \(error.reason)") }
        }

        func strings(_ map: Node.Mapping, _ key: String, required: Bool = false) throws -> [(String, Node)] {
            guard let node = map[key] else {
                if required { throw fail(Node.mapping(map), "missing '\(key)'") }
                return []
            }
            guard case .sequence(let sequence) = node else { throw fail(node, "'\(key)' must be a list") }
            return try sequence.map { item in
                guard case .scalar(let scalar) = item else { throw fail(item, "items of '\(key)' must be single values") }
                return (scalar.string, item)
            }
        }
    }
}

import Foundation
