/// Errors from Signet's DER productions: what was being read or written and what was wrong.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        case malformed
        case unsupported
        case invariant
    }

    public let code: Code
    public let reason: String

    public var description: String { reason }

    public static func malformed(_ reason: String) -> WireError { .init(code: .malformed, reason: reason) }
    public static func unsupported(_ reason: String) -> WireError { .init(code: .unsupported, reason: reason) }
    public static func invariant(_ reason: String) -> WireError { .init(code: .invariant, reason: reason) }
}
