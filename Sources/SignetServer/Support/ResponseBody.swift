import Hummingbird

/// A response whose body is bytes of a given media type: DER (certificates, CRLs, OCSP responses,
/// time-stamp replies), PEM, metrics text, a JSON document written elsewhere. JSON the handlers
/// build goes through ``JSONBody``.
enum ResponseBody {
    static func bytes(_ bytes: [UInt8], contentType: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
