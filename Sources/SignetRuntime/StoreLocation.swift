import Foundation
import SignetCore
import SignetPostgres
import SignetStore

/// Where a home's records live: the embedded SQLite file (`signet.db` in the home, the default), or a
/// PostgreSQL database that several `signet serve` nodes share. `SIGNET_STORE_URL` wins over
/// `store:` in config.yaml, so one config can serve a node pointed elsewhere.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresStoreURL)

    /// For messages; a PostgreSQL URL never carries its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return url.description
        }
    }
}

extension SignetHome {
    /// `SIGNET_STORE_URL`, else `store:` in config.yaml, else the home's SQLite file.
    public func storeLocation(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreLocation {
        if let text = environment["SIGNET_STORE_URL"], !text.isEmpty {
            do {
                return .postgres(try PostgresStoreURL(parsing: text))
            } catch let error as SignetError {
                throw SignetError.configuration("SIGNET_STORE_URL: \(error.reason)")
            }
        }
        if let text = config.store { return .postgres(try PostgresStoreURL(parsing: text)) }
        return .sqlite(path: databasePath)
    }

    /// The PostgreSQL password: `SIGNET_STORE_PASSWORD`, else the file named by `store_password_file`
    /// (not readable by others), else none (a server that trusts the connection, or a client
    /// certificate). Never taken from the command line.
    public func storePassword(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let password = environment["SIGNET_STORE_PASSWORD"], !password.isEmpty { return password }
        guard let file = config.storePasswordFile.map(path) else { return nil }
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw SignetError.configuration("store_password_file: \(file) does not exist; create it (mode 0600) or set SIGNET_STORE_PASSWORD")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw SignetError.configuration("store_password_file: \(file) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(file)")
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw SignetError.configuration("store_password_file: cannot read \(file)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension SignetRuntime {
    /// Opens the home's store where ``SignetHome/storeLocation(environment:)`` says, with the lock that
    /// serialises audit checkpoints among everything sharing it: a file lock in the home for SQLite,
    /// an advisory lock in the database for PostgreSQL (its nodes share no directory).
    /// `mustExist`: an SQLite file that is not there yet is an error (every command but `init`).
    public static func openStorage(_ home: SignetHome, mustExist: Bool = true) async throws -> (store: any SignetStorage, checkpointLock: any AuditCheckpointLock) {
        switch try home.storeLocation() {
        case .sqlite(let path):
            if mustExist, !FileManager.default.fileExists(atPath: path) {
                throw SignetError.notFound("No store at \(path); run `signet init`")
            }
            return (try SQLiteStore(path: path), AuditCheckpointFileLock(home: home))
        case .postgres(let url):
            let store = try await PostgresStore.open(url, password: try home.storePassword())
            return (store, PostgresCheckpointLock(store: store))
        }
    }
}
