import FuzzSupport
import SignetCore
import SignetWire
import SwiftASN1

/// RFC 3161 requests (`POST /tsa`): what the TSA decides from a request's bytes, and the rejection
/// it answers with. Every refusal encodes as a `TimeStampResp` that parses back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTSARequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    do {
        let request = try TimestampAuthority.acceptedRequest(input.bytes, policy: policy)
        require(request.extensions.isEmpty, "a request with extensions was accepted")
    } catch {
        let rejection = TimestampAuthority.rejectionDER(error)
        require((try? TimeStampResp(derEncoded: rejection)) != nil, "the rejection does not parse")
    }
    return 0
}

let policy: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 32473, 1, 2]
