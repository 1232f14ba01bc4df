import FuzzSupport
import SignetCore

/// `Authorization` header values: the bearer credential, the token's public id (logged for failed
/// attempts) and its hash (the store lookup). A credential is never longer than its header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToken(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let header = FuzzInput(start, count).text
    guard let token = BearerCredential.parse(authorization: header) else { return 0 }
    require(token.utf8.count <= header.utf8.count, "credential longer than its header")
    if let id = APITokens.publicID(of: token) { require(id.utf8.count == 8, "public id \(id)") }
    require(APITokens.hash(token).utf8.count == 64, "hash length")
    return 0
}
