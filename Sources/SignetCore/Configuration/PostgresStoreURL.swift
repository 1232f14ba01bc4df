import Foundation

/// Where a PostgreSQL store is: `postgres://user@host:port/database[?sslmode=disable|prefer|require]`,
/// from `store:` in config.yaml or `SIGNET_STORE_URL`.
///
/// The password is never part of it: a URL is shown in logs, errors and `ps` output, so a URL that
/// carries one is refused, and the password comes from `SIGNET_STORE_PASSWORD` or the file named by
/// `store_password_file`. ``description`` is therefore safe to print anywhere.
public struct PostgresStoreURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode` names).
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (a loopback or unix-socket server).
        case disable
        /// TLS when the server offers it, plain otherwise.
        case prefer
        /// TLS or no connection; the server's certificate is verified against the system's roots.
        case require
    }

    public let user: String
    public let host: String
    public let port: Int
    public let database: String
    public let tls: TLSMode

    public init(user: String, host: String, port: Int = 5432, database: String, tls: TLSMode = .prefer) {
        (self.user, self.host, self.port, self.database, self.tls) = (user, host, port, database, tls)
    }

    /// True for text that names a PostgreSQL store rather than SQLite's file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses the URL; the error says what was expected and never repeats a password.
    public init(parsing text: String) throws {
        func refuse(_ what: String) -> SignetError {
            .configuration("store: expected postgres://USER@HOST[:PORT]/DATABASE, \(what)")
        }
        guard text.utf8.count <= 1024, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw refuse("got text with spaces or over 1024 characters")
        }
        let rest: Substring
        if text.hasPrefix("postgres://") {
            rest = text.dropFirst("postgres://".count)
        } else if text.hasPrefix("postgresql://") {
            rest = text.dropFirst("postgresql://".count)
        } else {
            throw refuse("got a URL of another scheme")
        }
        let (main, queryText) = rest.firstIndex(of: "?").map { (rest[..<$0], rest[rest.index(after: $0)...]) } ?? (rest, "")
        guard let at = main.lastIndex(of: "@") else { throw refuse("got no USER@ (the database user)") }
        let userInfo = main[..<at]
        guard !userInfo.contains(":") else {
            throw refuse("got a password in the URL; give it in SIGNET_STORE_PASSWORD or a file named by store_password_file instead")
        }
        guard let user = String(userInfo).removingPercentEncoding, !user.isEmpty, user.utf8.count <= 63 else {
            throw refuse("got an empty or malformed user")
        }
        let hostAndPath = main[main.index(after: at)...]
        guard let slash = hostAndPath.firstIndex(of: "/") else { throw refuse("got no /DATABASE") }
        let hostPort = hostAndPath[..<slash]
        guard let database = String(hostAndPath[hostAndPath.index(after: slash)...]).removingPercentEncoding,
              !database.isEmpty, database.utf8.count <= 63, !database.contains("/") else {
            throw refuse("got an empty or malformed database name")
        }
        var host = String(hostPort)
        var port = 5432
        if hostPort.hasPrefix("[") {
            // An IPv6 literal: [::1]:5432
            guard let close = hostPort.firstIndex(of: "]") else { throw refuse("got an unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let number = Int(after.dropFirst()), (1...65535).contains(number) else { throw refuse("got a malformed port") }
                port = number
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let number = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(number) else {
                throw refuse("got a port that is not 1-65535")
            }
            port = number
        }
        guard !host.isEmpty, host.utf8.count <= 253 else { throw refuse("got no host") }
        var tls = TLSMode.prefer
        for pair in queryText.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "sslmode" else {
                throw refuse("got the parameter \(SignetError.quote(String(parts[0]))); the only one known is sslmode")
            }
            guard let mode = TLSMode(rawValue: String(parts[1])) else {
                throw refuse("got sslmode=\(SignetError.quote(String(parts[1]))); use disable, prefer or require")
            }
            tls = mode
        }
        self.init(user: user, host: host, port: port, database: database, tls: tls)
    }

    /// The URL without any secret: what errors and logs show.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }
}
