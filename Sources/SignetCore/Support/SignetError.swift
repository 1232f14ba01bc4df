/// The one error type of Signet's core: a stable, extensible ``Code`` that callers compare and map
/// (the HTTP server maps codes to statuses, the CLI prints ``reason``), plus a reason written for
/// the person who has to act on it: what was expected, what came, and what to do next.
///
/// Modelled on swift-certificates' `CertificateError`: compare by code, never by message.
public struct SignetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable identifier for a class of failure. New codes may be added at any time.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        /// The class of failure a code belongs to, so an outer layer can answer a code it does not know
        /// by name (the HTTP server's status for each of the `oidc_…` refusals). Codes compare by name.
        public let kind: Kind
        public init(_ name: String, kind: Kind = .other) {
            self.name = name
            self.kind = kind
        }
        public var description: String { name }
        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }

        /// Classes of failure beyond the named codes below.
        public enum Kind: Sendable, Hashable {
            /// Only the code's own name says what it is.
            case other
            /// The caller's credential was not accepted (401).
            case unauthenticated
            /// The caller is known but may not do this (403).
            case forbidden
            /// Something Signet depends on is unavailable for now; retrying later may succeed (503).
            case unavailable
        }

        /// The input could not be parsed at all (garbage PEM/DER, bad JSON, bad duration).
        public static let malformedInput = Code("malformed_input")
        /// A CSR (or other signed input) whose signature does not verify.
        public static let badSignature = Code("bad_signature")
        /// A profile exists and the request parsed, but the profile does not allow it.
        public static let policyRefused = Code("policy_refused")
        /// The named thing (profile, serial, authority, key, token) does not exist.
        public static let notFound = Code("not_found")
        /// The request conflicts with current state (revoking twice, home already exists differently).
        public static let conflict = Code("conflict")
        /// The caller is not allowed to do this (role or team).
        public static let forbidden = Code("forbidden")
        /// The caller could not be authenticated.
        public static let unauthenticated = Code("unauthenticated")
        /// A profile or configuration file is invalid.
        public static let invalidConfiguration = Code("invalid_configuration")
        /// Signet's own output failed its pre-signing lint: a defect in Signet or a profile, never the caller's fault.
        public static let lintFailed = Code("lint_failed")
        /// The key custody layer (the HSM) failed: a call into the token failed, the token is gone, or
        /// it returned a signature that does not verify. Retrying later may succeed.
        public static let keyCustody = Code("hsm_unavailable")
        /// The store failed (a full disk, a database that cannot be written). Retrying later may succeed.
        public static let storage = Code("store_unavailable")
        /// Signet (or a server it needs, such as a TSA) could not be reached, or answered that it is
        /// unavailable for now; retrying later may succeed. Raised by clients, never by the server.
        public static let unreachable = Code("unreachable")
        /// Something that must verify does not: a root whose fingerprint is not the one given, a server
        /// whose TLS certificate or returned chain does not lead to the trusted root, a broken audit trail.
        /// Raised by clients and local checks, never by the server.
        public static let verificationFailed = Code("verification_failed")
        /// Anything else that is Signet's fault.
        public static let internalError = Code("internal_error")
        /// Every HSM session is busy and the queue of signatures waiting for one is full: the request
        /// was refused before it waited, and may be tried again after ``SignetError/retryAfter``.
        public static let hsmBusy = Code("hsm_busy")
        /// The client sent more requests than its allowance; it may try again after ``SignetError/retryAfter``.
        public static let rateLimited = Code("rate_limited")
    }

    public let code: Code
    public let reason: String
    /// For transient refusals (``Code/hsmBusy``, ``Code/rateLimited``): whole seconds after which
    /// trying again should succeed (HTTP's Retry-After).
    public let retryAfter: Int?

    public init(_ code: Code, _ reason: String, retryAfter: Int? = nil) {
        self.code = code
        self.reason = reason
        self.retryAfter = retryAfter
    }

    public var description: String { reason }

    public static func malformed(_ reason: String) -> SignetError { .init(.malformedInput, reason) }
    public static func refused(_ reason: String) -> SignetError { .init(.policyRefused, reason) }
    public static func notFound(_ reason: String) -> SignetError { .init(.notFound, reason) }
    public static func conflict(_ reason: String) -> SignetError { .init(.conflict, reason) }
    public static func forbidden(_ reason: String) -> SignetError { .init(.forbidden, reason) }
    public static func configuration(_ reason: String) -> SignetError { .init(.invalidConfiguration, reason) }
    public static func internalError(_ reason: String) -> SignetError { .init(.internalError, reason) }

    /// `text` as a message quotes what a caller sent: in single quotes, cut to its first 64
    /// characters, with control characters and line breaks escaped (`\n`, `\u{2028}`), so a hostile
    /// value can neither flood a log line nor break the CLI's one-line error.
    public static func quote(_ text: some StringProtocol) -> String {
        var out = "'"
        var count = 0
        for scalar in text.unicodeScalars {
            if count == 64 { return out + "…' (\(text.unicodeScalars.count) characters)" }
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: out += scalar.escaped(asASCII: true)
            default: out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out + "'"
    }
}

/// An error of a lower layer (the HSM module, the wire codecs) that knows which ``SignetError`` it
/// amounts to, so layers that must not import it (the HTTP server never imports PKCS#11) can still
/// map it to the right answer instead of a bare internal error.
public protocol SignetErrorConvertible: Error {
    var asSignetError: SignetError { get }
}
