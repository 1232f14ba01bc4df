import Foundation

/// How long a new API token lives. Tokens expire by default, so one that leaks from a CI log or a
/// laptop stops working on its own; a token without expiry has to be asked for by name (`never`).
public enum TokenLifetime: Sendable, Hashable, CustomStringConvertible {
    /// Expires this long after creation.
    case after(ValidityDuration)
    /// Never expires (until revoked).
    case never

    /// 90 days: a quarter's worth of CI runs, short enough that forgotten tokens die out.
    public static let standard = TokenLifetime.after(.days(90))

    /// What operators write after `--expires` or in `expires_in`: a duration (`30d`, `12h`) or `never`;
    /// nothing means ``standard``.
    public init(parsing text: String?) throws {
        guard let text else { self = .standard; return }
        if text.trimmingCharacters(in: .whitespaces).lowercased() == "never" {
            self = .never
            return
        }
        do {
            self = .after(try ValidityDuration(parsing: text))
        } catch {
            throw SignetError.malformed("Expected a token lifetime such as 90d, 12h or never, got '\(text)'")
        }
    }

    /// When a token created at `now` expires; nil for ``never``.
    public func expiry(from now: Date) -> Date? {
        switch self {
        case .after(let duration): return now.addingTimeInterval(duration.timeInterval)
        case .never: return nil
        }
    }

    public var description: String {
        switch self {
        case .after(let duration): return duration.description
        case .never: return "never"
        }
    }
}
