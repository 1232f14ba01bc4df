import Foundation
import SignetCore

/// A throwaway PostgreSQL cluster for the tests: Debian's PostgreSQL server, started once per test
/// process on a free loopback port, in a directory of its own under the process's scratch directory,
/// with each test in a database of its own (``makeDatabase()``) so suites run in parallel.
///
/// PostgreSQL refuses to run as root, and the tests run as root: the cluster then belongs to the
/// `postgres` user the package creates (commands run through `runuser`). TCP connections authenticate
/// with a password (SCRAM), as a real deployment does; the unix socket in the cluster's directory is
/// trusted and used only to create databases. The server is stopped when the process exits, and a
/// watchdog stops it if the process dies without exiting, so `make test` leaves no server behind.
///
/// A machine without PostgreSQL fails these tests (it never skips them): `scripts/install-deps.sh`
/// installs it.
public enum TestPostgres {
    /// A started cluster.
    public struct Cluster: Sendable {
        public let directory: String
        public let port: Int
        public let user: String
        public let password: String
        let binaries: String
        let runAs: String?
    }

    /// The shared cluster, started on first use (or the reason it could not be).
    static let started: Result<Cluster, SignetError> = Result { try startCluster() }.mapError { error in
        (error as? SignetError) ?? SignetError(.storage, "Cannot start the test PostgreSQL: \(error)")
    }

    public static func cluster() throws -> Cluster { try started.get() }

    /// A new, empty database on the shared test cluster (or `cluster`) and the password to reach it.
    public static func makeDatabase(_ prefix: String = "t", on cluster: Cluster? = nil) throws -> (url: PostgresStoreURL, password: String) {
        let cluster = try cluster ?? Self.cluster()
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try cluster.psql("CREATE DATABASE \(name)")
        return (PostgresStoreURL(user: cluster.user, host: "127.0.0.1", port: cluster.port, database: name, tls: .disable), cluster.password)
    }

    /// Starts a cluster of its own: for a test that stops and restarts the server, which the shared
    /// cluster's other users must not see.
    public static func startCluster() throws -> Cluster {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.compactMap(Int.init).max(), FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") else {
            throw SignetError(.storage, "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb); run scripts/install-deps.sh, which installs Debian's postgresql")
        }
        let binaries = "/usr/lib/postgresql/\(version)/bin"
        let runAs: String? = getuid() == 0 ? "postgres" : nil
        let directory = TestEnvironment.temporaryDirectory("postgres")
        let data = directory + "/data"
        let password = "pw-" + UUID().uuidString
        try password.write(toFile: directory + "/pwfile", atomically: true, encoding: .utf8)
        if runAs != nil {
            // The server's user must reach its directory; the scratch directory above it is root's.
            chmod(TestEnvironment.scratch, 0o755)
            try giveToUser(directory, "postgres")
            try giveToUser(directory + "/pwfile", "postgres")
        }
        let cluster = Cluster(directory: directory, port: try freePort(), user: "signet", password: password, binaries: binaries, runAs: runAs)
        try cluster.run("initdb", ["-D", data, "--username=signet", "--pwfile=\(directory)/pwfile", "--auth-local=trust", "--auth-host=scram-sha-256",
                                   "--encoding=UTF8", "--no-sync"])
        try? FileManager.default.removeItem(atPath: directory + "/pwfile")
        try cluster.startAgain()
        stopOnExit(cluster)
        return cluster
    }

    /// Stops the server when this process exits, and (by a watchdog shell) when it dies without exiting.
    static func stopOnExit(_ cluster: Cluster) {
        let stop = cluster.command("pg_ctl", ["-D", cluster.directory + "/data", "-m", "immediate", "stop"])
        let quoted = stop.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        // The watchdog runs in a background subshell of a shell that exits at once: Foundation's Process
        // watches a child through a descriptor the child inherits, so a long-lived child of this process
        // that closes its descriptors (as the watchdog must) would look like one that has just exited.
        let loop = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(quoted)"
        _ = try? ProcessRunner.run("/bin/bash", ["-c", "( \(closeInherited)exec </dev/null >/dev/null 2>&1; \(loop) ) & exit 0"])
        let first = stopCommands.withLock { commands in
            commands.append(stop)
            return commands.count == 1
        }
        if first {
            atexit {
                for stop in TestPostgres.stopCommands.withLock({ $0 }) {
                    _ = try? ProcessRunner.run(stop[0], Array(stop.dropFirst()))
                }
            }
        }
    }

    /// bash that closes every inherited descriptor but the standard three (see ``Cluster/command(_:_:)``).
    static let closeInherited = #"for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && [ -e "/proc/$BASHPID/fd/$fd" ] && eval "exec $fd>&-"; done; "#

    /// How to stop each cluster this process started.
    static let stopCommands = Locked<[[String]]>([])

    static func giveToUser(_ path: String, _ user: String) throws {
        guard let entry = getpwnam(user) else { throw SignetError(.storage, "No user \(user) to run the test PostgreSQL as; install Debian's postgresql package") }
        guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw SignetError(.storage, "Cannot give \(path) to \(user): \(String(cString: strerror(errno)))")
        }
    }

    /// A loopback port nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SignetError(.storage, "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw SignetError(.storage, "Cannot find a free loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension TestPostgres.Cluster {
    /// The command line that runs one of the server's programs as the cluster's user. It starts with
    /// a shell that closes every descriptor but the standard three: the server outlives the command that
    /// started it, and would otherwise keep open whatever this process had open when it was spawned
    /// (another test's output pipe, whose reader would then wait for the end of the test run).
    func command(_ program: String, _ arguments: [String]) -> [String] {
        let path = program.hasPrefix("/") ? program : binaries + "/" + program
        let user = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []
        return ["/bin/bash", "-c", TestPostgres.closeInherited + #"exec "$@""#, "bash"] + user + [path] + arguments
    }

    func run(_ program: String, _ arguments: [String]) throws {
        let line = command(program, arguments)
        let result = try ProcessRunner.run(line[0], Array(line.dropFirst()), directory: directory)
        guard result.succeeded else {
            throw SignetError(.storage, "\(program) failed for the test PostgreSQL (exit \(result.status)): \(result.stderr.suffix(2000))")
        }
    }

    /// Runs one statement as the superuser over the cluster's unix socket.
    public func psql(_ sql: String, database: String = "postgres") throws {
        try run("/usr/bin/psql", ["-h", directory, "-p", "\(port)", "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
    }

    /// Stops the server at once (as a crash would); ``startAgain()`` brings it back on the same port.
    public func stopNow() throws {
        try run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
    }

    /// Starts the server (again). Small and fast: no fsync (a test cluster needs no durability), the
    /// socket in the cluster's own directory.
    public func startAgain() throws {
        let options = "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories=\(directory) -c fsync=off "
            + "-c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"
        try run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-o", options, "-w", "-t", "60", "start"])
    }
}
