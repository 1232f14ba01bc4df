import Foundation
import Hummingbird
import SignetCore

/// The one JSON error shape of the API, `{"error": {"code": "...", "message": "..."}}`, with the
/// HTTP status that matches the failure. Core errors are mapped here and only here.
public struct APIError: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Seconds for the Retry-After header of a transient refusal (429, 503).
    public let retryAfter: Int?

    public init(status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Maps any error to the status and code a client should see. Unknown errors become a 500 with
    /// a message that points at the request id; their detail goes to the log only.
    public init(_ error: any Error, requestID: String) {
        switch error {
        case let error as APIError:
            self = error
        case let error as SignetErrorConvertible:
            self.init(error.asSignetError, requestID: requestID)
        case let error as SignetError:
            let status: HTTPResponse.Status
            switch error.code {
            case .malformedInput, .badSignature: status = .badRequest
            case .policyRefused: status = .unprocessableContent
            case .notFound: status = .notFound
            case .conflict: status = .conflict
            case .forbidden: status = .forbidden
            case .unauthenticated: status = .unauthorized
            case .keyCustody, .storage, .hsmBusy: status = .serviceUnavailable
            case .rateLimited: status = .tooManyRequests
            default:
                // Codes named only in their own module (the `oidc_…` refusals) are answered by their kind.
                switch error.code.kind {
                case .unauthenticated: status = .unauthorized
                case .forbidden: status = .forbidden
                case .unavailable: status = .serviceUnavailable
                case .other: status = .internalServerError
                }
            }
            // A 5xx body says what failed and what to do, never the detail (SQLite's text, file paths,
            // CKR codes): that goes to the log under the same request id.
            let message: String
            switch error.code {
            case .keyCustody: message = "The HSM is unavailable or failing; nothing was signed or recorded. Retry shortly (request \(requestID))"
            case .storage: message = "The store is unavailable (a full disk or a database that cannot be written); nothing was recorded. Retry shortly (request \(requestID))"
            case .hsmBusy: message = "\(error.reason) (request \(requestID))"
            case _ where error.code.kind == .unavailable: message = error.reason
            case _ where status.code >= 500: message = "Internal error; see the server log for request \(requestID)"
            default: message = error.reason
            }
            self.init(status: status, code: status == .internalServerError ? "internal_error" : error.code.name, message: message,
                      retryAfter: error.retryAfter)
        case let error as HTTPError:
            let code: String
            switch error.status {
            case .contentTooLarge: code = "too_large"
            case .notFound: code = "not_found"
            case .methodNotAllowed: code = "method_not_allowed"
            case .badRequest: code = "malformed_input"
            case .unsupportedMediaType: code = "unsupported_media_type"
            default: code = error.status.code >= 500 ? "internal_error" : "http_\(error.status.code)"
            }
            let message = error.body ?? (error.status == .contentTooLarge ? "Request body is too large" : error.status.reasonPhrase)
            self.init(status: error.status, code: code, message: message)
        default:
            self.init(status: .internalServerError, code: "internal_error", message: "Internal error; see the server log for request \(requestID)")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"signet\"" }
        if let retryAfter {
            headers[.retryAfter] = String(retryAfter)
        } else if status == .serviceUnavailable {
            headers[.retryAfter] = "5"
        }
        let body = ErrorBody(error: .init(code: code, message: message))
        let data = try JSONBody.encoder.encode(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            let code: String
            let message: String
        }
        let error: Detail
    }
}
