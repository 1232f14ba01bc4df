/// One value of a stored row, in the terms both stores share (SQLite's storage classes), for copying
/// one store into another (`signet store migrate`) without either store handing out its driver's types.
public enum StoredColumn: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}
