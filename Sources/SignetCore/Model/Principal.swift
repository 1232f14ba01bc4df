/// The four kinds of caller. What each may do is decided in one place, ``AccessPolicy``.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case developer
    case ci
    case admin
    case auditor
    public var description: String { rawValue }
}

/// Who is asking: a name for the audit trail and the certificate's requester field, a role, and the
/// team the caller belongs to. Over HTTP all three come from the bearer token, never from the body.
public struct Principal: Hashable, Sendable, Codable, CustomStringConvertible {
    public let name: String
    public let role: Role
    public let team: String?
    /// For a CI job that proved itself with an OIDC ID token: its identity and what the matching rule
    /// of `ci-identities.yaml` grants it. Nil for Signet's own tokens and the local operator.
    public let workload: WorkloadGrant?

    public init(name: String, role: Role, team: String?, workload: WorkloadGrant? = nil) {
        self.name = name
        self.role = role
        self.team = team
        self.workload = workload
    }

    public var description: String { team.map { "\(name) (\(role), team \($0))" } ?? "\(name) (\(role))" }
}

/// Shapes of names that end up inside certificates and URLs.
public enum NameRules {
    /// Team names: lowercase, digits, `.`, `_`, `-`; 1–63 characters, starting alphanumeric.
    public static func validateTeam(_ team: String) throws {
        guard isSimpleName(team, maxLength: 63, allowUppercase: false) else {
            throw SignetError.malformed("Expected a team name of 1-63 characters [a-z0-9._-] starting with a letter or digit, got '\(team)'")
        }
    }

    /// Release names: letters, digits, `.`, `_`, `-`, `+`; 1–128 characters, starting alphanumeric.
    public static func validateRelease(_ release: String) throws {
        guard isSimpleName(release, maxLength: 128, allowUppercase: true, extra: "+") else {
            throw SignetError.malformed("Expected a release name of 1-128 characters [A-Za-z0-9._+-] starting with a letter or digit, got '\(release)'")
        }
    }

    /// Repository names as CI issuers write them: GitHub's `owner/name`, GitLab's `group/sub/project`;
    /// 1-255 characters of letters, digits, `.`, `_`, `-` and `/`.
    public static func validateRepository(_ repository: String) throws {
        guard isSimpleName(repository, maxLength: 255, allowUppercase: true, extra: "/"), !repository.hasSuffix("/") else {
            throw SignetError.malformed("Expected a repository such as owner/name (1-255 characters [A-Za-z0-9._/-]), got \(SignetError.quote(repository))")
        }
    }

    static func isSimpleName(_ text: String, maxLength: Int, allowUppercase: Bool, extra: String = "") -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= maxLength else { return false }
        func alnum(_ s: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(s) || ("0"..."9").contains(s) || (allowUppercase && ("A"..."Z").contains(s))
        }
        guard alnum(first) else { return false }
        return text.unicodeScalars.allSatisfy { alnum($0) || "._-\(extra)".unicodeScalars.contains($0) }
    }
}
