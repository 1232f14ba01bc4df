import Foundation

/// When a client asks again: after HTTP 429 (too many requests) and 503 (the HSM or store is
/// unavailable for now; nothing was signed or recorded, so asking again is safe), waiting what the
/// server's `Retry-After` says (RFC 9110 §10.2.3), within bounds so a cron job or pipeline never
/// hangs. Pure: the client asks it what to do, and tests ask it directly.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var attempts: Int
    /// The longest single wait; a server asking for more is not waited for (the error says when to retry).
    public var maximumWait: TimeInterval
    /// The wait when the server names none: doubled after every attempt.
    public var defaultWait: TimeInterval

    public init(attempts: Int = 4, maximumWait: TimeInterval = 10, defaultWait: TimeInterval = 1) {
        self.attempts = attempts
        self.maximumWait = maximumWait
        self.defaultWait = defaultWait
    }

    /// Statuses worth asking again.
    public static let retriedStatuses: Set<Int> = [429, 503]

    /// How long to wait before attempt `attempt + 1` after attempt `attempt` (1-based) answered
    /// `status` with `retryAfter`; nil when not to retry.
    public func wait(afterAttempt attempt: Int, status: Int, retryAfter: String?, now: Date = Date()) -> TimeInterval? {
        guard Self.retriedStatuses.contains(status), attempt < attempts else { return nil }
        let asked = retryAfter.flatMap { Self.parseRetryAfter($0, now: now) }
        let wait = asked ?? defaultWait * pow(2, Double(attempt - 1))
        return wait <= maximumWait ? wait : nil
    }

    /// `Retry-After` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); nil for anything else.
    public static func parseRetryAfter(_ text: String, now: Date) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            // An absurd number of digits is just very long: cap it instead of overflowing.
            return trimmed.count > 9 ? TimeInterval(Int32.max) : TimeInterval(Int(trimmed) ?? 0)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
