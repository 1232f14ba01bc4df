import Foundation
import Hummingbird
import SignetCore

/// Strict JSON in, consistent JSON out. Request bodies must be JSON objects whose keys are all known
/// (a misspelt `validty` is a 400, not a silently ignored field); responses use snake_case keys and
/// RFC 3339 dates.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: SignetRequestContext, allowed: Set<String>) async throws -> T {
        let fields = try await object(from: request, context: context, allowed: allowed)
        let data = try JSONSerialization.data(withJSONObject: fields.values)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw SignetError.malformed("Missing field '\(key.stringValue.snakeCased)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw SignetError.malformed("Field '\(context.codingPath.map { $0.stringValue.snakeCased }.joined(separator: "."))' has the wrong type")
        } catch {
            throw SignetError.malformed("Malformed JSON body: \(error)")
        }
    }

    /// The body as a JSON object, refused unless every key is in `allowed`. One parse, no Codable:
    /// handlers on hot paths read their few fields from it with ``Fields``.
    static func object(from request: Request, context: SignetRequestContext, allowed: Set<String>) async throws -> Fields {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "Request body exceeds \(context.maxUploadSize) bytes")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(buffer: buffer))
        } catch {
            throw SignetError.malformed("Expected a JSON object body, got something that is not JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw SignetError.malformed("Expected a JSON object body") }
        let unknown = Set(dictionary.keys).subtracting(allowed)
        guard unknown.isEmpty else {
            throw SignetError.malformed("Unknown field(s) \(unknown.sorted().joined(separator: ", ")); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        return Fields(values: dictionary)
    }

    /// Typed access to a parsed JSON object, with the API's error messages.
    struct Fields {
        let values: [String: Any]

        func string(_ key: String) throws -> String? {
            guard let value = values[key], !(value is NSNull) else { return nil }
            guard let text = value as? String else { throw SignetError.malformed("Field '\(key)' has the wrong type") }
            return text
        }

        func requiredString(_ key: String) throws -> String {
            guard let text = try string(key) else { throw SignetError.malformed("Missing field '\(key)'") }
            return text
        }

        func bool(_ key: String) throws -> Bool? {
            guard let value = values[key], !(value is NSNull) else { return nil }
            guard let flag = value as? Bool else { throw SignetError.malformed("Field '\(key)' has the wrong type") }
            return flag
        }
    }

    /// A response from JSON text the handler wrote itself (hot paths; see ``CanonicalJSON``).
    static func raw(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        bytes(Array(json.utf8), contentType: "application/json", status: status)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension String {
    var snakeCased: String {
        var out = ""
        for c in self {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
