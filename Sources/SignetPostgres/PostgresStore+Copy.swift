import Foundation
import PostgresNIO
import SignetCore

// MARK: Copying a store in (`signet store migrate`)

extension PostgresStore {
    /// Fills an empty database with another store's rows, in one transaction: either every row is
    /// copied or none is. `body` is handed a function that inserts rows of one ``StoreCopy`` table.
    /// A database that already holds records is refused: a copy never merges two CAs' records.
    public func importCopy(_ body: @escaping @Sendable (_ insert: @escaping @Sendable (StoreCopy.Table, [[StoredColumn]]) async throws -> Void) async throws -> Void) async throws {
        try await write("copying records into \(url)") { tx in
            // Nobody else writes meanwhile: a node started against this database waits until the copy is in.
            for table in StoreCopy.tables {
                try await tx.execute(PostgresQuery(unsafeSQL: "LOCK TABLE \(table.name) IN EXCLUSIVE MODE"))
            }
            let held = try await tx.scalar("""
                SELECT (SELECT COUNT(*) FROM keys) + (SELECT COUNT(*) FROM authorities) + (SELECT COUNT(*) FROM certificates)
                     + (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM audit_checkpoints) + (SELECT COUNT(*) FROM api_tokens)
                     + (SELECT COUNT(*) FROM crl_numbers) + (SELECT COUNT(*) FROM crls) + (SELECT COUNT(*) FROM counters WHERE value <> 0)
                """, as: Int64.self) ?? 0
            guard held == 0 else {
                throw SignetError.conflict("The database at \(self.url) already holds Signet records (\(held) rows); copy into an empty database (createdb) instead")
            }
            try await body { table, rows in try await Self.insert(rows, into: table, in: tx) }
            // New reservations continue the copied issuance order.
            try await tx.execute("SELECT setval(pg_get_serial_sequence('certificates', 'id'), GREATEST((SELECT MAX(id) FROM certificates), 1))")
        }
    }

    static func insert(_ rows: [[StoredColumn]], into table: StoreCopy.Table, in tx: PostgresTransaction) async throws {
        guard let known = StoreCopy.tables.first(where: { $0.name == table.name }), known == table else {
            throw SignetError.internalError("Table \(table.name) is not one a store copy carries")
        }
        // Statements of at most 500 rows: PostgreSQL takes at most 65535 parameters.
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(rows.count, start + 500)]
            start += batch.count
            var binds = PostgresBindings(capacity: batch.count * table.columns.count)
            var tuples: [String] = []
            for row in batch {
                guard row.count == table.columns.count else {
                    throw SignetError.internalError("Expected \(table.columns.count) values for a row of \(table.name), got \(row.count)")
                }
                var placeholders: [String] = []
                for value in row {
                    switch value {
                    case .null: binds.appendNull()
                    case .integer(let number): binds.append(number)
                    case .real(let number): binds.append(number)
                    case .text(let text): binds.append(text)
                    case .blob(let bytes): binds.append(ByteBuffer(bytes))
                    }
                    placeholders.append("$\(binds.count)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let conflict = table.name == "counters" ? " ON CONFLICT (name) DO UPDATE SET value = excluded.value" : ""
            try await tx.execute(PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))\(conflict)",
                                               binds: binds))
        }
    }

    /// How many rows `table` holds.
    public func rowCount(of table: StoreCopy.Table) async throws -> Int {
        guard StoreCopy.tables.contains(table) else { throw SignetError.internalError("Table \(table.name) is not one a store copy carries") }
        return try await read("counting \(table.name)") { tx in
            try await tx.scalar(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table.name)"), as: Int.self) ?? 0
        }
    }
}
