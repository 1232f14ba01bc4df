import SignetRuntime
import SignetStore
import Testing

extension SignetRuntime {
    /// The runtime's store as the SQLite store test homes use, for tests that reach into the database.
    var sqlite: SQLiteStore {
        get throws { try #require(store as? SQLiteStore) }
    }
}
