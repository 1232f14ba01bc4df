/// Reads a column that holds one of an enum's raw values (a role, a state, a status, a reason).
///
/// A value this version of Signet does not know — a database written by a newer Signet, or edited by
/// hand — is an error that names the table, the column and the value. It is never read as some
/// default: a default could turn an unknown role into a real one, or a revoked certificate into a
/// pending one, without anyone noticing. Shared by both stores (SQLite and PostgreSQL).
public enum StoredValue {
    public static func decode<Value: RawRepresentable>(_ type: Value.Type, _ raw: Value.RawValue?, table: String, column: String) throws -> Value {
        guard let raw else { throw unknown(nil as String?, table: table, column: column) }
        guard let value = Value(rawValue: raw) else { throw unknown(raw, table: table, column: column) }
        return value
    }

    /// As ``decode(_:_:table:column:)`` for a nullable column: NULL is nil, an unknown value an error.
    public static func decodeOptional<Value: RawRepresentable>(_ type: Value.Type, _ raw: Value.RawValue?, table: String, column: String) throws -> Value? {
        guard let raw else { return nil }
        return try decode(type, raw, table: table, column: column)
    }

    private static func unknown(_ raw: (some Any)?, table: String, column: String) -> SignetError {
        SignetError(.storage, "The store holds \(raw.map { "'\($0)'" } ?? "NULL") in \(table).\(column), a value this version of Signet does not know; "
                        + "the database was written by a newer Signet or edited by hand")
    }
}
