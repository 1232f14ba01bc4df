import SignetCore

/// The one table of exit statuses every `signet` command uses, so a script can branch on what went
/// wrong: the CLI maps the ``SignetError/Code`` of whatever failed (and a client maps the server's
/// error code back to one, see ``APIClient``) to a row here. README.md prints the same table; a test
/// holds the two together.
public enum ExitStatus {
    /// One row: the status, a name for scripts and docs, what it means, and the error codes it covers.
    public struct Row: Sendable {
        public let status: Int32
        public let name: String
        public let meaning: String
        public let codes: [SignetError.Code]
    }

    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 2
    public static let notAllowed: Int32 = 3
    public static let refused: Int32 = 4
    public static let notFoundOrConflict: Int32 = 5
    public static let unavailable: Int32 = 6
    public static let untrusted: Int32 = 7

    public static let table: [Row] = [
        Row(status: success, name: "ok", meaning: "Done; also `signet renew` when the certificate is not yet due", codes: []),
        Row(status: failure, name: "failure", meaning: "Anything else: an internal error in Signet or the client, an answer that is not Signet's (HTTP 500, 501)",
            codes: [.internalError, .lintFailed]),
        Row(status: usage, name: "usage", meaning: "Bad arguments, or input that does not parse: a file, duration, serial, configuration or request body (HTTP 400, 413)",
            codes: [.malformedInput, .invalidConfiguration]),
        Row(status: notAllowed, name: "not-allowed", meaning: "No token, or an unknown, expired or revoked one, or one whose role or team may not do this (HTTP 401, 403)",
            codes: [.unauthenticated, .forbidden]),
        Row(status: refused, name: "refused", meaning: "Understood but refused by policy: the profile's validity, key types or teams; an expired certificate to renew (HTTP 422)",
            codes: [.policyRefused]),
        Row(status: notFoundOrConflict, name: "not-found-or-conflict", meaning: "No such serial, profile or file; already revoked; an output file exists and --force was not given (HTTP 404, 409)",
            codes: [.notFound, .conflict]),
        Row(status: unavailable, name: "unavailable", meaning: "Signet cannot be reached or did not answer in time, or is still unavailable after the retries HTTP 429 and 503 allow (Retry-After honoured, bounded): rate limited, the HSM busy or down, the store down; a file cannot be written",
            codes: [.unreachable, .keyCustody, .storage, .hsmBusy, .rateLimited]),
        Row(status: untrusted, name: "untrusted", meaning: "Something that must verify does not: a root fingerprint, a server's TLS certificate or returned chain against the bootstrapped root, a signature, a timestamp, the audit trail",
            codes: [.verificationFailed, .badSignature]),
    ]

    /// The status for an error code; codes not in the table are failures.
    public static func status(for code: SignetError.Code) -> Int32 {
        table.first { $0.codes.contains(code) }?.status ?? failure
    }

    /// The status for any error: Signet's own, a lower layer's that converts to one, or anything else (a failure).
    public static func status(for error: any Error) -> Int32 {
        switch error {
        case let error as SignetError: return status(for: error.code)
        case let error as SignetErrorConvertible: return status(for: error.asSignetError.code)
        default: return failure
        }
    }

    /// Every error code the table knows, for mapping a server's error code back to one.
    public static let knownCodes: [SignetError.Code] = table.flatMap(\.codes)
}
