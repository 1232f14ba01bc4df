import Foundation
import Hummingbird
import SignetCore

/// Strict JSON in, consistent JSON out. Request bodies must be JSON objects whose keys are all known
/// (``JSONFields``, in SignetCore where the fuzz targets reach it); responses use snake_case keys and
/// RFC 3339 dates.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: SignetRequestContext, allowed: Set<String>) async throws -> T {
        try await object(from: request, context: context, allowed: allowed).decode(T.self)
    }

    /// The body as a JSON object, refused unless every key is in `allowed`. One parse, no Codable:
    /// handlers on hot paths read their few fields from it.
    static func object(from request: Request, context: SignetRequestContext, allowed: Set<String>) async throws -> JSONFields {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too_large", message: "Request body exceeds \(context.maxUploadSize) bytes")
        }
        return try JSONFields(parsing: Data(buffer: buffer), allowed: allowed)
    }

    /// A response from JSON text the handler wrote itself (hot paths; see ``CanonicalJSON``).
    static func raw(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        ResponseBody.bytes(Array(json.utf8), contentType: "application/json", status: status)
    }

    static let encoder = JSONConventions.encoder()

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
