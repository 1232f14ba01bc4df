/// Named text parameters of a request, as a URL query or the command line gives them, checked once:
/// every name must be one the endpoint knows and may appear once (a misspelt `expiring_witin` or a
/// second `limit` is an error, not silently ignored or silently chosen between).
public struct QueryParameters: Sendable {
    private let values: [String: String]

    public init(_ pairs: some Sequence<(name: String, value: String)>, allowed: some Collection<String>) throws {
        var values: [String: String] = [:]
        var unknown: [String] = []
        for (name, value) in pairs {
            guard allowed.contains(name) else {
                unknown.append(SignetError.quote(name))
                continue
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw SignetError.malformed("Parameter \(name) is given more than once; give it once")
            }
        }
        guard unknown.isEmpty else {
            throw SignetError.malformed("Unknown query parameter(s) \(unknown.sorted().prefix(8).joined(separator: ", ")); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        self.values = values
    }

    public subscript(name: String) -> String? { values[name] }

    /// The integer value of `name` within `range`, or nil when it is absent.
    public func integer<Value: FixedWidthInteger>(_ name: String, in range: ClosedRange<Value>) throws -> Value? {
        guard let text = values[name] else { return nil }
        guard text.utf8.count <= 20, let value = Value(text), range.contains(value) else {
            throw SignetError.malformed("Expected \(name) to be an integer from \(range.lowerBound) to \(range.upperBound), got \(SignetError.quote(text))")
        }
        return value
    }

    /// The duration value of `name` (``ValidityDuration``), or nil when it is absent.
    public func duration(_ name: String) throws -> ValidityDuration? {
        guard let text = values[name] else { return nil }
        do {
            return try ValidityDuration(parsing: text)
        } catch let error as SignetError {
            throw SignetError.malformed("\(name): \(error.reason)")
        }
    }
}
