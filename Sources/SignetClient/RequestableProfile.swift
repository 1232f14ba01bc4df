import SignetCore

/// One entry of `GET /api/v1/profiles` as the client reads it: what a token may ask for.
public struct RequestableProfile: Sendable, Codable, Equatable {
    public let name: String
    public let description: String
    /// `csr` (`signet request`) or `hsm` (a per-release key, `signet release-key`).
    public let keySource: String
    /// Key types the profile accepts, its default first.
    public let keyTypes: [String]
    public let defaultValidity: String
    public let maxValidity: String
    /// Whether the certificate's subject takes the CSR's common name (`--subject-name`).
    public let subjectName: Bool

    init(json: [String: Any]) throws {
        guard let name = json["name"] as? String, let keyTypes = json["key_types"] as? [String], let keySource = json["key_source"] as? String,
              let defaultValidity = json["default_validity"] as? String, let maxValidity = json["max_validity"] as? String else {
            throw SignetError.internalError("Expected name, key_source, key_types and validities in each profile Signet listed")
        }
        self.name = name
        self.description = json["description"] as? String ?? ""
        self.keySource = keySource
        self.keyTypes = keyTypes
        self.defaultValidity = defaultValidity
        self.maxValidity = maxValidity
        self.subjectName = json["subject_name"] as? Bool ?? false
    }
}
