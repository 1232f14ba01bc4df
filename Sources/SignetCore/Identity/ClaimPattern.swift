/// A value a claim must have, written as a glob in `ci-identities.yaml`: `*` matches any run of
/// characters but `/`, `**` any run including `/`, `?` one character but `/`; everything else stands
/// for itself (GitHub's branch-protection patterns, so `refs/tags/v*` is every tag starting with v
/// and `refs/heads/release/**` every branch under release/). A pattern without wildcards is an exact
/// match.
///
/// Matching is dynamic programming over pattern and value (Unicode scalars): linear space, time the
/// product of the two lengths, both capped, so no claim and no pattern can make it run long.
public struct ClaimPattern: Sendable, Hashable, CustomStringConvertible {
    enum Token: Hashable {
        case scalar(Unicode.Scalar)
        case one
        case segment
        case any
    }

    public let text: String
    let tokens: [Token]

    /// Patterns are short; 256 characters is longer than any ref or workflow path needs.
    public static let maximumLength = 256
    /// Claim values longer than this never match (a ref or repository is far shorter).
    public static let maximumValueLength = 1024

    public init(_ text: String) throws {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= Self.maximumLength else {
            throw SignetError.malformed("Expected a pattern of 1-\(Self.maximumLength) characters, got \(scalars.count)")
        }
        guard !scalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw SignetError.malformed("A pattern may not contain control characters")
        }
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            switch scalars[index] {
            case "*":
                if index + 1 < scalars.count, scalars[index + 1] == "*" {
                    tokens.append(.any)
                    index += 2
                    while index < scalars.count, scalars[index] == "*" { index += 1 }
                    continue
                }
                tokens.append(.segment)
            case "?": tokens.append(.one)
            case let scalar: tokens.append(.scalar(scalar))
            }
            index += 1
        }
        self.text = text
        self.tokens = tokens
    }

    public var description: String { text }

    /// True when the pattern has no wildcard.
    public var isLiteral: Bool { tokens.allSatisfy { if case .scalar = $0 { return true } else { return false } } }

    public func matches(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard scalars.count <= Self.maximumValueLength else { return false }
        // previous[j]: the first i tokens match the first j scalars of the value.
        var previous = [Bool](repeating: false, count: scalars.count + 1)
        previous[0] = true
        var current = previous
        for token in tokens {
            current[0] = previous[0] && (token == .segment || token == .any)
            for j in stride(from: 1, through: scalars.count, by: 1) {
                let scalar = scalars[j - 1]
                switch token {
                case .scalar(let wanted): current[j] = previous[j - 1] && scalar == wanted
                case .one: current[j] = previous[j - 1] && scalar != "/"
                // Zero characters (previous[j]) or one more after a run that already matched (current[j - 1]).
                case .segment: current[j] = previous[j] || (current[j - 1] && scalar != "/")
                case .any: current[j] = previous[j] || current[j - 1]
                }
            }
            swap(&previous, &current)
        }
        return previous[scalars.count]
    }
}
