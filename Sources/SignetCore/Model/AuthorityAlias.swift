/// The names people and URLs use for "the current one" of an authority: `root`, `issuing`, `ocsp` and
/// `tsa` stand for the newest active authority made under the `root-ca`, `issuing-ca`, `ocsp-signer` and
/// `timestamping` profiles; any other name is an authority's own (`issuing-ca-2`). One resolver for
/// the CLI (`signet ca export issuing`) and the server (`/ca/issuing.crt`), so both follow a rotation
/// the same way.
public enum AuthorityAlias {
    /// Alias → profile.
    public static let profiles: [String: String] = ["root": "root-ca", "issuing": "issuing-ca", "ocsp": "ocsp-signer", "tsa": "timestamping"]

    /// Whether `name` is an alias (whose meaning changes with rotation) rather than an authority's name.
    public static func isAlias(_ name: String) -> Bool { profiles[name] != nil }

    /// The authority `name` stands for among `records`, or nil.
    public static func resolve(_ name: String, among records: [AuthorityRecord]) -> AuthorityRecord? {
        if let profile = profiles[name] {
            return records.filter { $0.profile == profile && $0.state == .active }.max { $0.generation < $1.generation }
        }
        return records.first { $0.name == name }
    }
}
