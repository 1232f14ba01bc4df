import Foundation
import GRDB
import SignetCore

// MARK: Copying the store out (`signet store migrate`)

extension SQLiteStore {
    /// Up to `limit` rows of `table` written after rowid `after`, in writing order, with their values
    /// exactly as stored (``StoreCopy``'s `id` column is the rowid), and the rowid of the last one.
    public func copyRows(of table: StoreCopy.Table, after: Int64, limit: Int) async throws -> (rows: [[StoredColumn]], last: Int64?) {
        let columns = table.columns.map { $0 == "id" && table.name == "certificates" ? "rowid AS id" : $0 }.joined(separator: ", ")
        return try await read("copying \(table.name)") { db in
            let rows = try Row.fetchAll(db, sql: "SELECT rowid AS copy_rowid, \(columns) FROM \(table.name) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                        arguments: [after, max(1, limit)])
            let values = rows.map { row in
                table.columns.indices.map { index -> StoredColumn in
                    let value: DatabaseValue = row[index + 1]
                    switch value.storage {
                    case .null: return .null
                    case .int64(let number): return .integer(number)
                    case .double(let number): return .real(number)
                    case .string(let text): return .text(text)
                    case .blob(let data): return .blob([UInt8](data))
                    }
                }
            }
            return (values, rows.last.map { $0["copy_rowid"] as Int64 })
        }
    }

    /// How many rows `table` holds.
    public func rowCount(of table: StoreCopy.Table) async throws -> Int {
        try await read("counting \(table.name)") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
    }
}
