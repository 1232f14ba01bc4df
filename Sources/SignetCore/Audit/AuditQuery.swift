import Foundation

/// Filters for reading the trail.
public struct AuditQuery: Sendable, Hashable {
    public var since: Date?
    public var actor: String?
    public var action: String?
    public var after: Int64
    public var limit: Int

    public init(since: Date? = nil, actor: String? = nil, action: String? = nil, after: Int64 = 0, limit: Int = 1000) {
        self.since = since
        self.actor = actor
        self.action = action
        self.after = after
        self.limit = limit
    }
}
