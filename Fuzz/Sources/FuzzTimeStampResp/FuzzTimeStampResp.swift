import Foundation
import FuzzSupport
import SignetCore
import SignetWire
import X509

/// RFC 3161 replies as `signet timestamp` and `signet sign --timestamp` receive them from a TSA: the
/// whole client-side check (status, imprint, nonce, SignedData, signed attributes, signature, EKU,
/// chain) against the imprint and nonce of the seed corpus's query and no trusted root, so nothing
/// can verify; every step before the chain runs on what the fuzzer makes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimeStampResp(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let verified = try? TimestampVerifier.verify(response: input.bytes, imprint: imprint, digest: .sha256, nonce: nil, roots: [])
    require(verified == nil, "a reply verified without a trusted root")
    return 0
}

/// The imprint of the seed replies: SHA-256 of Tests/SignetWireTests/Fixtures/data.txt, whose
/// queries (`ts-query-sha256-*.tsq`) Signet's TSA answered to make them.
let imprint = DigestAlgorithm.sha256.hash(Array("Signet time-stamp fixture\n".utf8))
