import Foundation

extension CertificateQuery {
    /// The parameters of a certificate listing: `GET /api/v1/certificates?…` and `signet list`.
    public static let parameterNames: Set<String> = ["status", "team", "profile", "issuer", "release", "repository", "expiring_within", "after", "limit"]

    /// The query that listing parameters ask for at `now`. Both the API and the CLI build their
    /// listings here, so a value is accepted or refused, with the same message, wherever it is given.
    /// `limits` bounds the page size (the API's pages hold 1 to 1000 certificates).
    public init(parameters: some Sequence<(name: String, value: String)>, now: Date, limits: ClosedRange<Int> = 1...1000) throws {
        let values = try QueryParameters(parameters, allowed: Self.parameterNames)
        self.init(now: now)
        if let limit = try values.integer("limit", in: limits) { self.limit = limit }
        switch values["status"] {
        case nil: break
        case "expired": expiredAt = now
        case let text?:
            guard let status = CertificateStatus(rawValue: text) else {
                throw SignetError.malformed("Unknown status \(SignetError.quote(text)); use valid, revoked, expired or pending")
            }
            self.status = status
        }
        if let team = values["team"] {
            try NameRules.validateTeam(team)
            self.team = team
        }
        if let profile = values["profile"] {
            guard NameRules.isSimpleName(profile, maxLength: 63, allowUppercase: false) else {
                throw SignetError.malformed("Expected a profile name of 1-63 characters [a-z0-9._-], got \(SignetError.quote(profile))")
            }
            self.profile = profile
        }
        if let issuer = values["issuer"] {
            // An authority is named after its profile and generation: `issuing-ca-3`.
            guard NameRules.isSimpleName(issuer, maxLength: 84, allowUppercase: false) else {
                throw SignetError.malformed("Expected an authority name such as issuing-ca-1, got \(SignetError.quote(issuer))")
            }
            self.issuer = issuer
        }
        if let release = values["release"] {
            try NameRules.validateRelease(release)
            self.release = release
        }
        if let repository = values["repository"] {
            try NameRules.validateRepository(repository)
            self.repository = repository
        }
        if let after = values["after"] {
            guard Cursor(after) != nil else {
                throw SignetError.malformed("Expected after to be the `next` value of a previous page, got \(SignetError.quote(after))")
            }
            self.after = after
        }
        if let within = try values.duration("expiring_within") {
            expiringBefore = now.addingTimeInterval(within.timeInterval)
        }
    }
}
