import Foundation
import FuzzSupport
import SignetCore

/// Listing and audit parameters as a URL query (`GET /api/v1/certificates?…`, `/api/v1/audit?…`):
/// the input is split and percent-decoded the way a query string is, then read by
/// `CertificateQuery(parameters:)` and `AuditQuery(parameters:)`. A cursor they accept reads back
/// from its own text; every date they compute is finite.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    let pairs = input.text.split(separator: "&", omittingEmptySubsequences: true).map { part -> (name: String, value: String) in
        let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decoded(_ text: Substring) -> String { String(text).removingPercentEncoding ?? String(text) }
        return (name: decoded(pieces[0]), value: pieces.count > 1 ? decoded(pieces[1]) : "")
    }
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    if let query = try? CertificateQuery(parameters: pairs, now: now) {
        require((1...1000).contains(query.limit), "limit \(query.limit)")
        require(query.expiringBefore.map { $0.timeIntervalSince1970.isFinite } ?? true, "expiringBefore not finite")
        if let after = query.after {
            guard let cursor = CertificateQuery.Cursor(after) else { fatalError("accepted cursor \(after) does not parse") }
            require(CertificateQuery.Cursor(cursor.string) == cursor, "cursor \(after) does not read back")
        }
    }
    if let query = try? AuditQuery(parameters: pairs, now: now) {
        require(query.after >= 0 && (1...1000).contains(query.limit), "after \(query.after), limit \(query.limit)")
        if let since = query.since { _ = since.clampedMillisecondsSince1970 }
    }
    // The same text as a path parameter (`/api/v1/certificates/<serial>`) and a revocation reason.
    _ = try? Hex.serial(input.text)
    _ = try? RevocationReason(parsing: input.text)
    return 0
}
