import X509

/// A subject distinguished name with `{placeholders}` filled from the authenticated request:
/// `{team}`, `{requester}`, `{release}`, `{generation}` (of a rotated authority), `{profile}`, and
/// `{subject_name}` (the common name of the requester's CSR, for profiles that let requesters name
/// their certificates; every other field of a CSR's subject is ignored).
/// Parsed and checked when the profile loads, so an unknown placeholder is a load error, not a
/// surprise at issuance.
public struct SubjectTemplate: Hashable, Sendable {
    /// Attribute types Signet puts in subjects, in the order they are encoded (most general first).
    public enum Attribute: String, Sendable, Hashable, CaseIterable {
        case country
        case organization
        case organizationalUnit = "organizational_unit"
        case commonName = "common_name"

        /// Upper bounds from RFC 5280 Appendix A.1 (`ub-common-name` etc.).
        var maxLength: Int {
            switch self {
            case .country: return 2
            case .organization, .organizationalUnit, .commonName: return 64
            }
        }
    }

    /// Values available to a template.
    public struct Context: Sendable {
        public var team: String?
        public var requester: String?
        public var release: String?
        public var generation: Int?
        public var profile: String
        public var subjectName: String?

        public init(team: String? = nil, requester: String? = nil, release: String? = nil, generation: Int? = nil, profile: String, subjectName: String? = nil) {
            self.subjectName = subjectName
            self.team = team
            self.requester = requester
            self.release = release
            self.generation = generation
            self.profile = profile
        }

        func value(_ placeholder: String) -> String? {
            switch placeholder {
            case "team": return team
            case "requester": return requester
            case "release": return release
            case "generation": return generation.map(String.init)
            case "profile": return profile
            case "subject_name": return subjectName
            default: return nil
            }
        }
    }

    public static let placeholders: Set<String> = ["team", "requester", "release", "generation", "profile", "subject_name"]

    public let fields: [(Attribute, String)]
    /// Each field's template split once into literal text and placeholder names, so rendering (once per
    /// issued certificate) is concatenation rather than a scan and a replace per placeholder.
    private let parsed: [(Attribute, [Segment])]

    enum Segment: Hashable, Sendable {
        case text(String)
        case placeholder(String)
    }

    public init(fields: [(Attribute, String)]) throws {
        guard fields.contains(where: { $0.0 == .commonName }) else {
            throw SignetError.configuration("subject needs a common_name")
        }
        var checked: [(field: (Attribute, String), segments: [Segment])] = []
        for (attribute, template) in fields {
            let segments = try Self.segments(of: template)
            for case .placeholder(let name) in segments where !Self.placeholders.contains(name) {
                throw SignetError.configuration("unknown placeholder {\(name)} in '\(template)'; known: \(Self.placeholders.sorted().map { "{\($0)}" }.joined(separator: ", "))")
            }
            checked.append(((attribute, template), segments))
        }
        checked.sort { a, b in Attribute.allCases.firstIndex(of: a.field.0)! < Attribute.allCases.firstIndex(of: b.field.0)! }
        self.fields = checked.map(\.field)
        self.parsed = checked.map { ($0.field.0, $0.segments) }
    }

    /// `"CN={team} build"` → text "CN=", placeholder "team", text " build".
    static func segments(of template: String) throws -> [Segment] {
        var segments: [Segment] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw SignetError.configuration("unclosed '{' in '\(template)'")
            }
            if open > rest.startIndex { segments.append(.text(String(rest[..<open]))) }
            segments.append(.placeholder(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        return segments
    }

    /// Placeholders the template uses, so policy can demand e.g. a release before issuing.
    public var usedPlaceholders: Set<String> {
        Set(parsed.flatMap { $0.1.compactMap { segment in
            if case .placeholder(let name) = segment { return name }
            return nil
        } })
    }

    /// Renders the subject. Refuses when a placeholder has no value or a value breaks an upper bound.
    public func render(_ context: Context) throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        for (attribute, segments) in parsed {
            var value = ""
            for segment in segments {
                switch segment {
                case .text(let text):
                    value += text
                case .placeholder(let name):
                    guard let filled = context.value(name), !filled.isEmpty else {
                        throw SignetError.refused("Profile '\(context.profile)' puts {\(name)} in the subject, but the request has no \(name)")
                    }
                    value += filled
                }
            }
            guard !value.isEmpty, value.count <= attribute.maxLength else {
                throw SignetError.refused("Subject \(attribute.rawValue) '\(value)' must be 1-\(attribute.maxLength) characters (RFC 5280 Appendix A.1)")
            }
            let rdnAttribute: RelativeDistinguishedName.Attribute
            switch attribute {
            case .country: rdnAttribute = try .init(type: .RDNAttributeType.countryName, printableString: value)
            case .organization: rdnAttribute = .init(type: .RDNAttributeType.organizationName, utf8String: value)
            case .organizationalUnit: rdnAttribute = .init(type: .RDNAttributeType.organizationalUnitName, utf8String: value)
            case .commonName: rdnAttribute = .init(type: .RDNAttributeType.commonName, utf8String: value)
            }
            rdns.append(RelativeDistinguishedName(rdnAttribute))
        }
        return DistinguishedName(rdns)
    }

    public static func == (lhs: SubjectTemplate, rhs: SubjectTemplate) -> Bool {
        lhs.fields.map { "\($0.0.rawValue)=\($0.1)" } == rhs.fields.map { "\($0.0.rawValue)=\($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        for (attribute, template) in fields {
            hasher.combine(attribute)
            hasher.combine(template)
        }
    }
}

import Foundation
