import FuzzSupport
import SignetCore
import SwiftASN1
import X509

/// CSRs as `POST /api/v1/certificates` and `signet issue --csr` take them (PEM or DER, signature
/// checked, key classified), and PEM bundles as `--ca-file` takes them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSR(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    if let csr = try? CSRInput.parse(input.bytes) {
        if KeyAlgorithm(publicKey: csr.publicKey) == nil { _ = KeyAlgorithm.describeUnknown(csr.publicKey) }
        _ = csr.subject.description
    }
    if let documents = try? PEMDocument.parseMultiple(pemString: input.text) {
        for document in documents { _ = try? Certificate(pemDocument: document) }
    }
    return 0
}
