/// All loaded profiles, checked as a whole: names are unique, every `issuer:` names a CA profile, and
/// exactly one root exists. Lookups by name fail with the list of known profiles.
public struct ProfileSet: Sendable {
    public let profiles: [String: Profile]

    /// Profiles Signet itself relies on (init and the HTTP API reference them by name).
    public static let required = ["root-ca", "issuing-ca", "prerelease-codesign", "ocsp-signer", "timestamping"]

    public init(_ list: [Profile], requireShipped: Bool = true) throws {
        var byName: [String: Profile] = [:]
        for profile in list {
            if let other = byName[profile.name] {
                throw SignetError.configuration("\(profile.source): profile '\(profile.name)' is also defined in \(other.source)")
            }
            byName[profile.name] = profile
        }
        for profile in list where !profile.isSelfSigned {
            guard let issuer = byName[profile.issuer] else {
                throw SignetError.configuration("\(profile.source): issuer '\(profile.issuer)' is not a loaded profile")
            }
            guard issuer.kind.isCA else {
                throw SignetError.configuration("\(profile.source): issuer '\(profile.issuer)' is a \(issuer.kind.rawValue) profile, not a CA")
            }
            if profile.kind == .rootCA {
                throw SignetError.configuration("\(profile.source): a root-ca profile cannot have an issuer")
            }
        }
        let roots = list.filter { $0.kind == .rootCA }
        if requireShipped {
            guard roots.count == 1 else {
                throw SignetError.configuration("Expected exactly one root-ca profile, found \(roots.count) (\(roots.map(\.name).joined(separator: ", ")))")
            }
            for name in Self.required where byName[name] == nil {
                throw SignetError.configuration("Required profile '\(name)' is missing from the profiles directory")
            }
        }
        self.profiles = byName
    }

    public func profile(named name: String) throws -> Profile {
        guard let profile = profiles[name] else {
            throw SignetError.notFound("Unknown profile '\(name)'; known profiles: \(profiles.keys.sorted().joined(separator: ", "))")
        }
        return profile
    }

    public var all: [Profile] { profiles.values.sorted { $0.name < $1.name } }

    /// Profiles of one kind, e.g. every OCSP-signer profile.
    public func profiles(of kind: Profile.Kind) -> [Profile] { all.filter { $0.kind == kind } }
}
