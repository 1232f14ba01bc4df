/// Who may do what. One place for the role rules of DESIGN.md ("Roles") so the CLI, the HTTP API
/// and the tests agree.
public enum AccessPolicy {
    /// May `principal` request a certificate under `profile` for `team`?
    public static func checkIssue(_ principal: Principal, profile: Profile, team: String?) throws {
        guard profile.allowedRoles.contains(principal.role) else {
            throw SignetError.forbidden("Role \(principal.role) may not use profile '\(profile.name)' (allowed: \(profile.allowedRoles.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        if principal.role != .admin, let own = principal.team, team != own {
            throw SignetError.forbidden("\(principal.name) belongs to team \(own) and cannot request certificates for team \(team ?? "none")")
        }
        guard profile.allowedTeams.allows(team) else {
            throw SignetError.refused("Profile '\(profile.name)' does not allow team '\(team ?? "(none)")'")
        }
    }

    /// May `principal` revoke certificates?
    public static func checkRevoke(_ principal: Principal) throws {
        guard principal.role == .admin else { throw SignetError.forbidden("Only admins may revoke certificates; \(principal.name) is \(principal.role)") }
    }

    /// May `principal` read the record of a certificate that belongs to `team`?
    public static func checkRead(_ principal: Principal, team: String?) throws {
        switch principal.role {
        case .admin, .auditor: return
        case .developer, .ci:
            guard let own = principal.team, own == team else {
                throw SignetError.forbidden("\(principal.name) may only read certificates of team \(principal.team ?? "(none)")")
            }
        }
    }

    /// May `principal` create or revoke API tokens?
    public static func checkManageTokens(_ principal: Principal) throws {
        guard principal.role == .admin else { throw SignetError.forbidden("Only admins may manage tokens; \(principal.name) is \(principal.role)") }
    }

    /// May `principal` read inventory and audit?
    public static func checkAudit(_ principal: Principal) throws {
        guard principal.role == .admin || principal.role == .auditor else {
            throw SignetError.forbidden("Only admins and auditors may read inventory and audit; \(principal.name) is \(principal.role)")
        }
    }
}
