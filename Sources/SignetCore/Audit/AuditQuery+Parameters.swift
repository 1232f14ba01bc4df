import Foundation

extension AuditQuery {
    /// The parameters of an audit read: `GET /api/v1/audit?…` and `signet audit show`.
    public static let parameterNames: Set<String> = ["since", "actor", "action", "after", "limit"]

    /// The query that audit parameters ask for at `now` (`since` is a duration back from it). `limits`
    /// bounds the page size (the API's pages hold 1 to 1000 entries).
    public init(parameters: some Sequence<(name: String, value: String)>, now: Date, limits: ClosedRange<Int> = 1...1000) throws {
        let values = try QueryParameters(parameters, allowed: Self.parameterNames)
        self.init(limit: min(100, limits.upperBound))
        if let limit = try values.integer("limit", in: limits) { self.limit = limit }
        if let after = try values.integer("after", in: Int64(0)...Int64.max) { self.after = after }
        if let since = try values.duration("since") { self.since = now.addingTimeInterval(-since.timeInterval) }
        for (name, value) in [("actor", values["actor"]), ("action", values["action"])] {
            guard let value else { continue }
            // Actors are token names, `cli:<user>` or Signet's own; actions are dotted words.
            guard !value.isEmpty, value.unicodeScalars.count <= 256, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw SignetError.malformed("Expected \(name) to be 1-256 characters on one line, got \(SignetError.quote(value))")
            }
        }
        actor = values["actor"]
        action = values["action"]
    }
}
