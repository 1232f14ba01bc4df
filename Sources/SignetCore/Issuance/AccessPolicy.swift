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
        if let workload = principal.workload, !workload.profiles.contains(profile.name) {
            throw SignetError(.oidcProfileNotGranted, "Rule \(workload.rule) of ci-identities.yaml grants \(principal.name) profiles \(workload.profiles.joined(separator: ", ")), not '\(profile.name)'")
        }
    }

    /// May `principal` make, fetch or sign with the key of `release`? A CI identity may touch only the
    /// release its rule derives from its ref (a job on refs/tags/v2.0.0 cannot reach v1.9.0's key);
    /// Signet's own tokens are limited by team alone.
    public static func checkRelease(_ principal: Principal, release: String) throws {
        guard let workload = principal.workload else { return }
        guard let granted = workload.release else {
            throw SignetError(.oidcReleaseNotGranted, "\(principal.name) may not use release '\(release)': \(workload.releaseRefusal ?? "its rule grants no release")")
        }
        guard granted == release else {
            throw SignetError(.oidcReleaseNotGranted, "\(principal.name) may use release '\(granted)' only (rule \(workload.rule)), not '\(release)'")
        }
    }

    /// The longest validity `principal` may be issued under `profile`: the profile's maximum, cut by
    /// the CI identity rule's `max_validity`.
    public static func maximumValidity(_ principal: Principal, profile: Profile) -> ValidityDuration {
        guard let cap = principal.workload?.maxValidity else { return profile.maxValidity }
        return min(cap, profile.maxValidity)
    }

    /// May `principal` revoke certificates at all? Everyone but auditors; which certificates is
    /// ``checkRevoke(_:certificate:reason:)``.
    public static func checkRevoke(_ principal: Principal) throws {
        guard principal.role != .auditor else { throw SignetError.forbidden("Auditors may not revoke certificates; \(principal.name) is \(principal.role)") }
    }

    /// Reasons a subscriber may give for revoking its own certificate. privilegeWithdrawn and the CA
    /// compromise reasons are the CA's to determine (CA/B Forum TLS BR §7.2.2, which the CS BRs follow).
    public static let subscriberRevocationReasons: [RevocationReason] = [.unspecified, .keyCompromise, .affiliationChanged, .superseded, .cessationOfOperation]

    /// May `principal` revoke `certificate` for `reason`? Admins may revoke any certificate; developer and
    /// ci callers only those they requested themselves (same requester name and team, both taken from
    /// their token when the certificate was issued), with a subscriber's reason; auditors none.
    public static func checkRevoke(_ principal: Principal, certificate: CertificateRecord, reason: RevocationReason) throws {
        try checkRevoke(principal)
        switch principal.role {
        case .admin, .auditor:
            return
        case .developer, .ci:
            guard certificate.requester == principal.name, certificate.team == principal.team else {
                throw SignetError.forbidden("\(principal.name) may revoke only certificates it requested; certificate \(certificate.serial) was requested by someone else (ask an admin)")
            }
            guard subscriberRevocationReasons.contains(reason) else {
                throw SignetError.forbidden("\(reason.name) is for admins to give; use one of \(subscriberRevocationReasons.map(\.name).joined(separator: ", "))")
            }
        }
    }

    /// The profiles `principal` may request under: code-signing profiles open to its role and, for
    /// developer and ci callers, to its team (admins choose the team per request). CA, OCSP and TSA
    /// profiles are Signet's own and never requested.
    public static func requestableProfiles(_ principal: Principal, in profiles: ProfileSet) -> [Profile] {
        profiles.all.filter { profile in
            profile.kind == .codeSigning && profile.allowedRoles.contains(principal.role)
                && (principal.role == .admin || profile.allowedTeams.allows(principal.team))
        }
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
