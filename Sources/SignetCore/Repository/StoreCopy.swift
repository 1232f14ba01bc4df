/// The tables a store copy carries, in an order that satisfies their references (keys before the
/// authorities that name them), with the columns both schemas have under the same names. Rows are copied in the order they were
/// written (SQLite's rowid), so a parent authority comes before its children.
public enum StoreCopy {
    public struct Table: Sendable, Hashable {
        public let name: String
        public let columns: [String]
    }

    public static let tables: [Table] = [
        Table(name: "keys", columns: ["id", "label", "algorithm", "purpose", "state", "created_at", "destroyed_at", "team", "release", "public_key"]),
        Table(name: "authorities", columns: ["name", "profile", "kind", "generation", "key_id", "parent", "certificate_serial", "certificate_der", "state",
                                             "created_at", "not_after", "rotate_at", "retiring_since"]),
        // `id` is SQLite's rowid: the issuance order that breaks ties in listings.
        Table(name: "certificates", columns: ["id", "serial", "issuer", "profile", "subject", "team", "release", "requester", "key_id", "not_before",
                                              "not_after", "status", "revoked_at", "revocation_reason", "tbs", "der", "created_at"]),
        Table(name: "audit_log", columns: ["seq", "time_ms", "actor", "role", "action", "target", "outcome", "details", "prev_hash", "hash"]),
        Table(name: "audit_checkpoints", columns: ["seq", "entry_hash", "time_ms", "key_id", "signature", "previous_seq"]),
        Table(name: "api_tokens", columns: ["id", "name", "role", "team", "hash", "created_at", "expires_at", "revoked_at", "created_by"]),
        Table(name: "crl_numbers", columns: ["issuer", "number"]),
        Table(name: "counters", columns: ["name", "value"]),
        Table(name: "crls", columns: ["issuer", "number", "this_update", "next_update", "entries", "der"]),
    ]
}
