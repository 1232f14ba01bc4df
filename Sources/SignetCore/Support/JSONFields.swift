import Foundation

/// A request body that must be one JSON object whose keys are all known: a misspelt `validty` is an
/// error, not a silently ignored field. Parsed once with Foundation's `JSONSerialization` (which
/// refuses invalid UTF-8 and nesting deeper than 512); handlers read their few fields with the typed
/// accessors, whose errors name the field.
public struct JSONFields: @unchecked Sendable {
    /// The object's members as `JSONSerialization` gives them (String, NSNumber, NSNull, arrays, objects).
    public let values: [String: Any]

    public init(parsing body: Data, allowed: Set<String>) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: body)
        } catch {
            throw SignetError.malformed("Expected a JSON object body, got something that is not JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw SignetError.malformed("Expected a JSON object body") }
        let unknown = dictionary.keys.filter { !allowed.contains($0) }
        guard unknown.isEmpty else {
            throw SignetError.malformed("Unknown field(s) \(unknown.sorted().prefix(8).map { SignetError.quote($0) }.joined(separator: ", ")); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        self.values = dictionary
    }

    /// The string value of `key`; nil when absent or null, an error for any other type.
    public func string(_ key: String) throws -> String? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw SignetError.malformed("Field '\(key)' has the wrong type; expected a string") }
        return text
    }

    public func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw SignetError.malformed("Missing field '\(key)'") }
        return text
    }

    /// The boolean value of `key`; nil when absent or null, an error for any other type.
    public func bool(_ key: String) throws -> Bool? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        guard let flag = value as? Bool else { throw SignetError.malformed("Field '\(key)' has the wrong type; expected true or false") }
        return flag
    }

    /// The object decoded as `T` (snake_case keys), with the API's messages for missing fields and wrong types.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: values)
        } catch {
            throw SignetError.malformed("Malformed JSON body: \(error)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw SignetError.malformed("Missing field '\(Self.snakeCased(key.stringValue))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw SignetError.malformed("Field '\(context.codingPath.map { Self.snakeCased($0.stringValue) }.joined(separator: "."))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw SignetError.malformed("Field '\(context.codingPath.map { Self.snakeCased($0.stringValue) }.joined(separator: "."))' must not be null")
        } catch {
            throw SignetError.malformed("Malformed JSON body: \(error)")
        }
    }

    static func snakeCased(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
