import FuzzSupport
import SignetCore
import SignetWire

/// OCSP requests: the DER of `POST /ocsp`, and the input as the path of `GET /ocsp/<request>`
/// (`OCSPGETRequest`), each through what the responder decides from the bytes alone.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCSPRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    check(input.bytes)
    if let der = OCSPGETRequest.decode(input.text) { check(der) }
    return 0
}

func check(_ der: [UInt8]) {
    guard let request = try? OCSPResponder.acceptedRequest(der, maximumRequests: TBSRequest.defaultMaximumRequests) else { return }
    let list = request.tbsRequest.requestList
    require(list.count <= TBSRequest.defaultMaximumRequests, "\(list.count) CertIDs accepted")
    for single in list {
        _ = try? single.reqCert.derBytes()  // the response cache's key
        _ = single.reqCert.serialNumber.hexString  // the store lookup
    }
    if let nonce = request.tbsRequest.nonce { _ = OCSPNonce.makeExtension(echoing: nonce) }
}
